/// Where and how to reach Redis, read from one `REDIS_URL` so that a deployment
/// changes a single variable, as with every other Redis client users know.
///
/// Accepted form: `redis://[[user]:password@]host[:port][/db]`.
public struct RedisConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    /// How long a TCP connect may take before it counts as a failure.
    public var connectTimeout: Duration
    /// How long one command may take; must exceed any `BLOCK` a caller asks for,
    /// otherwise a quiet stream would look like a dead server.
    public var commandTimeout: Duration
    /// How many replicas must confirm (`WAIT`) the writes the platform counts
    /// on (the generator's events, the alerts and mismatches its outboxes
    /// publish) before they count as written: `REDIS_WAIT_REPLICAS`, 0 by
    /// default. Redis replicates asynchronously, so a master that dies right
    /// after replying can take the last writes with it, and its promoted
    /// replica never saw them; a write a replica confirmed survives that.
    /// Like a write concern in a database URL, it travels with the
    /// connection's settings, so every connection the platform opens,
    /// to one Redis or to each master of a cluster, applies it alike.
    public var replicasToWaitFor = 0
    /// How long a `WAIT` may take before the write counts as not replicated
    /// (and its work is retried): `REDIS_WAIT_TIMEOUT_MS`.
    public var replicaWaitTimeout: Duration = .seconds(1)

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Parses a `redis://` URL; the error says what is wrong with it so that a
    /// misconfigured process stops with a sentence, not a crash.
    public init(url: String) throws(RedisError) {
        let prefix = "redis://"
        guard url.hasPrefix(prefix) else {
            throw RedisError(.badURL, "must start with redis://, got '\(url)'")
        }
        var rest = Substring(url.dropFirst(prefix.count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                username = user.isEmpty ? nil : String(user)
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncodingIfPossible
            } else {
                password = String(credentials).removingPercentEncodingIfPossible
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw RedisError(.badURL, "database must be a non-negative integer, got '\(path)'")
                }
                database = number
            }
        }
        var host = String(rest)
        var port = 6379
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            host = String(rest[..<colon])
            let portText = rest[rest.index(after: colon)...]
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw RedisError(.badURL, "port must be between 1 and 65535, got '\(portText)'")
            }
            port = number
        }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty else {
            throw RedisError(.badURL, "no host in '\(url)'")
        }
        self.init(host: host, port: port, username: username, password: password, database: database)
    }
}

extension String {
    /// Passwords in URLs are percent-encoded when they contain `@` or `:`.
    fileprivate var removingPercentEncodingIfPossible: String {
        var bytes: [UInt8] = []
        var iterator = self.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
               let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
