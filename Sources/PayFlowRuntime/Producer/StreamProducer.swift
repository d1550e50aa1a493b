import PayFlowRedis

/// Appends entries to streams in batches: one pipeline of `XADD`s per call.
/// The services pass no `maxLength`: a blind `MAXLEN ~` drops entries a
/// lagging group has not read, so their streams are trimmed by
/// ``StreamTrimmer`` instead. `payflow demo-produce`, a one-shot tool with no
/// trimmer, passes `STREAM_MAXLEN`; `MAXLEN ~` trims whole radix-tree nodes
/// only (cheap).
public struct StreamProducer: Sendable {
    /// One entry to append.
    public struct Message: Sendable {
        public var stream: String
        public var fields: [(name: String, value: String)]

        public init(stream: String, fields: [(name: String, value: String)]) {
            self.stream = stream
            self.fields = fields
        }
    }

    /// One Redis, or a cluster: each stream's entries go to the server that
    /// serves it.
    let client: any RedisClient
    /// Approximate upper bound of each stream's length; nil keeps everything.
    public let maxLength: Int?

    public init(client: any RedisClient, maxLength: Int?) {
        self.client = client
        self.maxLength = maxLength
    }

    public init(connection: RedisConnection, maxLength: Int?) {
        self.init(client: connection, maxLength: maxLength)
    }

    /// Appends the messages in order, in one round trip per server (one on a
    /// single Redis), and returns their ids. Throws if any `XADD` was
    /// refused; the others stay, and after a broken connection nobody knows
    /// how many landed. Retrying the whole batch therefore may add some
    /// twice; ``RetrySafeAppender`` does not.
    ///
    /// With `REDIS_WAIT_REPLICAS`, each server's round trip ends with a
    /// `WAIT`, and a batch its replicas did not confirm in time throws
    /// ``RedisError/Code/notReplicated``: written, but not safe yet, so the
    /// caller retries as after any failure.
    @discardableResult
    public func add(_ messages: [Message]) async throws(RedisError) -> [StreamEntryID] {
        guard !messages.isEmpty else { return [] }
        let servers = try await self.client.servers(of: messages.map(\.stream))
        if servers.count == 1 {
            // One server (always, on one Redis): the batch as it is, no copy.
            do {
                return try await self.add(messages, on: servers[0].connection)
            } catch {
                await self.client.recover(from: error)
                throw error
            }
        }
        var ids = [StreamEntryID](repeating: .zero, count: messages.count)
        for server in servers {
            do {
                let added = try await self.add(server.indices.map { messages[$0] }, on: server.connection)
                for (index, id) in zip(server.indices, added) {
                    ids[index] = id
                }
            } catch {
                await self.client.recover(from: error)
                throw error
            }
        }
        return ids
    }

    /// Waits until the replicas the connection serving `stream` must wait
    /// for (``RedisConfiguration/replicasToWaitFor``) have every write that
    /// connection made; nothing to wait for when it asks for none. For a
    /// retry that found its whole batch already written: the entries are
    /// there, but were they replicated before the attempt failed?
    public func awaitReplicas(of stream: String) async throws(RedisError) {
        try await self.client.withConnection(serving: stream) { connection throws(RedisError) in
            guard let wait = Self.wait(on: connection) else { return }
            try Self.check(try await connection.send(wait), on: connection)
        }
    }

    /// `WAIT replicas timeout`, when the connection's settings ask for replicas.
    private static func wait(on connection: RedisConnection) -> RedisCommand? {
        let configuration = connection.configuration
        guard configuration.replicasToWaitFor > 0 else { return nil }
        return RedisCommand("WAIT", configuration.replicasToWaitFor, max(1, configuration.replicaWaitTimeout.wholeMilliseconds))
    }

    /// Throws ``RedisError/Code/notReplicated`` when `WAIT` counted fewer
    /// replicas than asked.
    private static func check(_ reply: RedisReply, on connection: RedisConnection) throws(RedisError) {
        let wanted = connection.configuration.replicasToWaitFor
        guard let confirmed = try reply.orThrow().integer else {
            throw RedisError(.unexpectedReply, "WAIT returned no count")
        }
        guard Int(confirmed) >= wanted else {
            throw RedisError(.notReplicated, "\(confirmed) of \(wanted) replicas of \(connection.configuration.host):\(connection.configuration.port) confirmed the writes within \(connection.configuration.replicaWaitTimeout) (REDIS_WAIT_REPLICAS)")
        }
    }

    private func add(_ messages: [Message], on connection: RedisConnection) async throws(RedisError) -> [StreamEntryID] {
        var commands = messages.map { message in
            var command = RedisCommand("XADD", message.stream)
            if let maxLength = self.maxLength {
                command.append(contentsOf: ["MAXLEN", "~", maxLength])
            }
            command.append("*")
            for field in message.fields {
                command.append(field.name)
                command.append(field.value)
            }
            return command
        }
        // The WAIT rides in the same round trip, after the XADDs it covers.
        let wait = Self.wait(on: connection)
        if let wait { commands.append(wait) }
        var replies = try await connection.pipeline(commands)
        let waited = wait == nil ? nil : replies.removeLast()
        // The XADDs' errors first: a redirect (the slot moved, the master
        // failed over) must reach the client, which then reads the map again.
        let ids = try replies.map { reply throws(RedisError) in
            guard let text = try reply.orThrow().string, let id = StreamEntryID(text) else {
                throw RedisError(.unexpectedReply, "XADD returned no id")
            }
            return id
        }
        if let waited { try Self.check(waited, on: connection) }
        return ids
    }
}
