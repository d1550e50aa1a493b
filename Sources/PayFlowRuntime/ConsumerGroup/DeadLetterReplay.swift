import PayFlowRedis

/// Sends dead-lettered entries back to the stream they came from, once the
/// reason they failed is fixed (a receiver back up, a bug fixed).
///
/// Each entry is re-added with its original fields (the `original.*` fields
/// of ``DeadLetter``, prefix removed) under a new id, and removed from the
/// dead-letter stream, in one `MULTI`/`EXEC`: an entry is never both replayed
/// and still waiting, nor lost in between.
///
/// What a replay means for the other groups: the entry is new on its stream,
/// so *every* group reading that stream gets it, not only the one that gave
/// up on it. The services are idempotent by event id, so they add nothing the
/// second time, with one visible exception: reconciliation sees the event id
/// on a second stream entry and reports a `duplicate_event` for it.
public struct DeadLetterReplay: Sendable {
    public struct Replayed: Sendable, Equatable {
        public var deadLetterID: StreamEntryID
        public var stream: String
        public var newID: StreamEntryID
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    let redis: RedisConnection

    public init(redis: RedisConnection) {
        self.redis = redis
    }

    /// Replays the entries of `deadLetterStream` with the given ids, or all
    /// of them when `ids` is nil (in pages, oldest first).
    public func replay(deadLetterStream: String, ids: [StreamEntryID]?) async throws -> [Replayed] {
        var replayed: [Replayed] = []
        if let ids {
            for id in ids {
                guard let entry = try await self.redis.range(stream: deadLetterStream, from: id.description, to: id.description).first else {
                    throw Failure(description: "no entry \(id) in \(deadLetterStream)")
                }
                replayed.append(try await self.replay(entry))
            }
            return replayed
        }
        while true {
            let page = try await self.redis.range(stream: deadLetterStream, count: 500)
            if page.isEmpty { return replayed }
            for entry in page {
                replayed.append(try await self.replay(entry))
            }
        }
    }

    private func replay(_ letter: StreamEntry) async throws -> Replayed {
        guard let stream = letter[field: "stream"], !stream.isEmpty else {
            throw Failure(description: "\(letter.stream) \(letter.id) has no 'stream' field: not a PayFlow dead letter")
        }
        let prefix = DeadLetter.originalFieldPrefix
        var add = RedisCommand("XADD", stream, "*")
        var count = 0
        for field in letter.fields where field.name.hasPrefix(prefix) {
            add.append(String(field.name.dropFirst(prefix.count)))
            add.append(field.value)
            count += 1
        }
        guard count > 0 else {
            throw Failure(description: "\(letter.stream) \(letter.id) has no original fields to replay")
        }
        let replies = try await self.redis.pipeline([
            RedisCommand("MULTI"), add, RedisCommand("XDEL", letter.stream, letter.id), RedisCommand("EXEC"),
        ])
        guard let results = try replies.last?.orThrow().array, results.count == 2,
              let newID = try results[0].orThrow().string.flatMap({ StreamEntryID($0) })
        else {
            throw Failure(description: "replaying \(letter.stream) \(letter.id) failed: \(replies)")
        }
        return Replayed(deadLetterID: letter.id, stream: stream, newID: newID)
    }
}
