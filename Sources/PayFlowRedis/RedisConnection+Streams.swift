import CHiredis

/// Typed wrappers for the stream commands PayFlow uses, so the runtime never
/// picks apart nested reply arrays itself.
extension RedisConnection {
    /// What `XREADGROUP` returned: entries still in the stream, and the ids of
    /// pending entries whose content was trimmed or deleted (Redis returns them
    /// with a nil body when re-reading a consumer's history).
    public struct GroupRead: Sendable {
        public var entries: [StreamEntry] = []
        public var deleted: [StreamEntry.Key] = []

        public var isEmpty: Bool { self.entries.isEmpty && self.deleted.isEmpty }
    }

    /// What `XAUTOCLAIM` returned for one stream.
    public struct AutoClaim: Sendable {
        public var nextCursor: StreamEntryID
        public var entries: [StreamEntry]
        /// Pending ids whose entries no longer exist; Redis 7 already removed
        /// them from the pending list.
        public var deleted: [StreamEntryID]
    }

    /// One consumer of a group as `XINFO CONSUMERS` describes it.
    public struct ConsumerInfo: Sendable {
        public var name: String
        public var pending: Int
        public var idleMilliseconds: Int64
    }

    /// Creates the group (and the stream) unless it exists; `BUSYGROUP` means
    /// another replica was first, which is fine.
    public func createGroupIfMissing(stream: String, group: String, startID: String) async throws(RedisError) {
        let reply = try await self.pipeline([RedisCommand("XGROUP", "CREATE", stream, group, startID, "MKSTREAM")])[0]
        if case .error(let message) = reply, !message.hasPrefix("BUSYGROUP") {
            throw RedisError(.serverError, message)
        }
    }

    /// `XREADGROUP GROUP g c COUNT n [BLOCK ms] STREAMS s1 s2 ... id1 id2 ...`.
    /// Pass `>` as the id for new entries or a concrete id to re-read this
    /// consumer's own pending entries after it.
    ///
    /// `after`: commands sent first in the same pipeline (the consumer's
    /// acks of the batch before: one round trip for both). Their replies go to
    /// `afterReplies` on the connection's thread as soon as Redis sent them,
    /// which is before a `BLOCK` of the read starts waiting.
    public func readGroup(
        group: String,
        consumer: String,
        streams: [(name: String, id: String)],
        count: Int,
        block: Duration?,
        after: [RedisCommand] = [],
        afterReplies: (@Sendable ([RedisReply]) -> Void)? = nil
    ) async throws(RedisError) -> GroupRead {
        var command = RedisCommand("XREADGROUP", "GROUP", group, consumer, "COUNT", count)
        if let block {
            command.append("BLOCK")
            command.append(block.wholeMilliseconds)
        }
        command.append("STREAMS")
        command.append(contentsOf: streams.map(\.name))
        command.append(contentsOf: streams.map(\.id))
        return try await self.readGroup(command, after: after, firstReplies: afterReplies)
    }

    /// `XAUTOCLAIM stream group consumer min-idle cursor COUNT n`.
    public func autoClaim(
        stream: String,
        group: String,
        consumer: String,
        minIdle: Duration,
        cursor: StreamEntryID,
        count: Int
    ) async throws(RedisError) -> AutoClaim {
        return try await self.send(
            RedisCommand("XAUTOCLAIM", stream, group, consumer, minIdle.wholeMilliseconds, cursor, "COUNT", count)
        ) { reply throws(RedisError) in
            try StreamReplyDecoder.autoClaim(reply, stream: stream)
        }
    }

    /// How many times each entry has been delivered, from `XPENDING` (pipelined,
    /// one range query per id). Ids no longer pending are absent.
    public func deliveryCounts(group: String, of keys: [StreamEntry.Key]) async throws(RedisError) -> [StreamEntry.Key: Int] {
        let commands = keys.map { RedisCommand("XPENDING", $0.stream, group, $0.id, $0.id, 1) }
        let replies = try await self.pipeline(commands)
        var counts: [StreamEntry.Key: Int] = [:]
        for (key, reply) in zip(keys, replies) {
            guard let rows = try reply.orThrow().array, let row = rows.first?.array, row.count == 4,
                  let count = row[3].integer
            else { continue }
            counts[key] = Int(count)
        }
        return counts
    }

    /// `XINFO CONSUMERS stream group`.
    public func consumers(stream: String, group: String) async throws(RedisError) -> [ConsumerInfo] {
        let reply = try await self.send(RedisCommand("XINFO", "CONSUMERS", stream, group))
        return (reply.array ?? []).compactMap { consumer in
            let map = consumer.fieldMap
            guard let name = map["name"]?.string else { return nil }
            return ConsumerInfo(
                name: name,
                pending: Int(map["pending"]?.integer ?? 0),
                idleMilliseconds: map["idle"]?.integer ?? 0
            )
        }
    }
}
