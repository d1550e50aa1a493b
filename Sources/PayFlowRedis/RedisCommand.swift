/// One Redis command as its raw arguments. Arguments are bytes, so values pass
/// through unchanged whatever they contain (binary-safe, no quoting).
public struct RedisCommand: Sendable, Equatable, CustomStringConvertible {
    public var arguments: [[UInt8]]

    public init(_ name: String, _ arguments: [any RedisArgument] = []) {
        self.arguments = [Array(name.utf8)] + arguments.map(\.redisBytes)
    }

    public init(_ name: String, _ arguments: any RedisArgument...) {
        self.init(name, arguments)
    }

    public mutating func append(_ argument: any RedisArgument) {
        self.arguments.append(argument.redisBytes)
    }

    public mutating func append(contentsOf arguments: [any RedisArgument]) {
        self.arguments.append(contentsOf: arguments.map(\.redisBytes))
    }

    /// Logs show the command name and how many arguments it had, never the
    /// values, which may carry account data.
    public var description: String {
        let name = self.arguments.first.map { String(decoding: $0, as: UTF8.self) } ?? "?"
        return "\(name) (\(self.arguments.count - 1) arguments)"
    }
}

/// Anything that can be sent as one command argument.
public protocol RedisArgument: Sendable {
    var redisBytes: [UInt8] { get }
}

extension String: RedisArgument {
    public var redisBytes: [UInt8] { Array(self.utf8) }
}

extension Substring: RedisArgument {
    public var redisBytes: [UInt8] { Array(self.utf8) }
}

extension Int: RedisArgument {
    public var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Int64: RedisArgument {
    public var redisBytes: [UInt8] { Array(String(self).utf8) }
}

extension Array: RedisArgument where Element == UInt8 {
    public var redisBytes: [UInt8] { self }
}
