/// A Redis stream entry id, `<milliseconds>-<sequence>`.
///
/// Kept as numbers rather than text because ids are compared (to page through
/// pending entries) and their time part measures how long an entry waited.
public struct StreamEntryID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let milliseconds = UInt64(parts[0]), let sequence = UInt64(parts[1]) else {
            return nil
        }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    /// `0-0`: the id before every entry.
    public static let zero = StreamEntryID(milliseconds: 0, sequence: 0)

    public var description: String { "\(self.milliseconds)-\(self.sequence)" }

    public static func < (lhs: StreamEntryID, rhs: StreamEntryID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}

extension StreamEntryID: RedisArgument {
    public var redisBytes: [UInt8] { Array(self.description.utf8) }
}
