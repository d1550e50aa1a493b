/// A reply copied out of hiredis into Swift values, so that no C memory
/// outlives the call that produced it.
public enum RedisReply: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int64)
    /// Bulk strings are bytes: stream fields are binary-safe.
    case bulkString([UInt8])
    case array([RedisReply])
    case null

    public var string: String? {
        switch self {
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        case .integer(let value): String(value)
        default: nil
        }
    }

    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    public var array: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// Turns an error reply into a thrown error, for callers that treat any
    /// server error as a failure of the whole command.
    @discardableResult
    public func orThrow() throws(RedisError) -> RedisReply {
        if case .error(let message) = self {
            throw RedisError(.serverError, message)
        }
        return self
    }
}
