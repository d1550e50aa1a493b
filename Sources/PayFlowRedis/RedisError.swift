/// Every failure of the Redis client, with a code callers can switch on and a
/// flag that tells the consumer runtime whether backing off and retrying can help.
public struct RedisError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { self.name }

        /// `REDIS_URL` could not be understood.
        public static let badURL = Code("badURL")
        /// No connection could be made, or it broke (I/O error, timeout, EOF).
        public static let connectionFailed = Code("connectionFailed")
        /// The server answered with an error reply (`-ERR ...`, `-BUSYGROUP ...`).
        public static let serverError = Code("serverError")
        /// The reply did not have the shape the command promises.
        public static let unexpectedReply = Code("unexpectedReply")
        /// The connection was closed by its owner.
        public static let closed = Code("closed")
        /// Writes were applied but fewer replicas than asked
        /// (``RedisConfiguration/replicasToWaitFor``) confirmed them in time:
        /// not yet safe from the loss of their master.
        public static let notReplicated = Code("notReplicated")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Connection trouble heals when Redis comes back, and a missing replica
    /// when it catches up or is replaced; a server error reply or a malformed
    /// reply will not heal by asking again.
    public var isRetriable: Bool {
        self.code == .connectionFailed || self.code == .notReplicated
    }

    public var description: String { "Redis \(self.code): \(self.message)" }
}
