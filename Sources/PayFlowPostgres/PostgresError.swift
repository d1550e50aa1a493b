/// Everything that can go wrong talking to PostgreSQL, as one error type.
///
/// Callers mostly need two answers: "what kind of failure is this" (``code``) and "is it worth
/// trying again" (``isRetriable``). The SQLSTATE and the server's own message travel along so a
/// log line says exactly what PostgreSQL said.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. A struct with static lets rather than an enum, so new kinds can be
    /// added without breaking callers that `switch` over them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        public var description: String {
            self.name
        }

        /// `DATABASE_URL` is empty or libpq cannot parse it.
        public static let badURL = Code("badURL")
        /// The first connection attempt failed (server down, bad credentials, unknown database).
        public static let connectionFailed = Code("connectionFailed")
        /// An established connection broke (server restart, `pg_terminate_backend`, network).
        /// The next call on the same ``PostgresConnection`` tries `PQreset`.
        public static let connectionLost = Code("connectionLost")
        /// ``PostgresConnection/close()`` was called; the connection will not come back.
        public static let connectionClosed = Code("connectionClosed")
        /// The server rejected a statement (syntax, constraint, permission...).
        public static let queryFailed = Code("queryFailed")
        /// A `COPY ... FROM STDIN` failed on the client or the server side.
        public static let copyFailed = Code("copyFailed")
        /// A value could not be encoded as a parameter (e.g. a NUL byte in a string).
        public static let encoding = Code("encoding")
        /// A result value could not be turned into the requested Swift type.
        public static let decoding = Code("decoding")
        /// The migration runner found something it refuses to apply.
        public static let migration = Code("migration")
    }

    /// The kind of failure.
    public var code: Code
    /// The five-character SQLSTATE the server sent, when there is one.
    public var sqlState: String?
    /// The server's (or libpq's, or our) human-readable message.
    public var message: String
    /// The statement that failed, for context in logs; never contains parameter values.
    public var query: String?

    public init(code: Code, message: String, sqlState: String? = nil, query: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.query = query
    }

    /// Whether running the same work again (possibly after a short wait) can succeed.
    ///
    /// True for a lost connection, SQLSTATE class 08 (connection exception), 57P01/57P02/57P03
    /// (administrator or crash shutdown, server starting up), 40001 (serialization failure)
    /// and 40P01 (deadlock). A constraint violation or a syntax error fails the same way forever.
    public var isRetriable: Bool {
        if self.code == .connectionLost {
            return true
        }
        guard let sqlState = self.sqlState else {
            return false
        }
        if sqlState.hasPrefix("08") {
            return true
        }
        return ["57P01", "57P02", "57P03", "40001", "40P01"].contains(sqlState)
    }

    public var description: String {
        var text = "PostgresError.\(self.code)"
        if let sqlState = self.sqlState {
            text += " [\(sqlState)]"
        }
        text += ": \(self.message)"
        if let query = self.query {
            // A migration file can be pages long; the first line or so identifies it.
            let shown = query.count > 200 ? String(query.prefix(200)) + "…" : query
            text += " (query: \(shown))"
        }
        return text
    }
}
