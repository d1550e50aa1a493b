import PayFlowRedis

/// Sends dead-lettered entries back to the stream they came from, once the
/// reason they failed is fixed (a receiver back up, a bug fixed).
///
/// Each entry is re-added with its original fields (the `original.*` fields
/// of ``DeadLetter``, prefix removed) under a new id, and removed from the
/// dead-letter stream, in one `MULTI`/`EXEC`: an entry is never both replayed
/// and still waiting, nor lost in between. The dead-letter stream is
/// `WATCH`ed from reading the entry to `EXEC`, so two replays racing for one
/// entry (the CLI and `POST /v1/dead-letters/{group}/replay`, or two clicks)
/// send it once: the loser's transaction is aborted, it reads again, and finds
/// the entry gone.
///
/// Used by `payflow dlq replay` and by the generator's REST API; each caller
/// gives it a connection of its own, since a `WATCH` belongs to a connection.
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
    ///
    /// An id that is not in the stream throws, or with `skippingMissing` is
    /// left out of the result: a second replay of the same ids then replays
    /// nothing (what the REST API answers as `{"replayed": 0}`).
    public func replay(deadLetterStream: String, ids: [StreamEntryID]?, skippingMissing: Bool = false) async throws -> [Replayed] {
        var replayed: [Replayed] = []
        if let ids {
            for id in ids {
                if let done = try await self.replay(id: id, in: deadLetterStream) {
                    replayed.append(done)
                } else if !skippingMissing {
                    throw Failure(description: "no entry \(id) in \(deadLetterStream)")
                }
            }
            return replayed
        }
        while true {
            let page = try await self.redis.range(stream: deadLetterStream, count: 500)
            if page.isEmpty { return replayed }
            for entry in page {
                if let done = try await self.replay(id: entry.id, in: deadLetterStream) {
                    replayed.append(done)
                }
            }
        }
    }

    /// Replays one entry under `WATCH`; nil when it is not (or no longer) in
    /// the stream. An aborted transaction (the stream changed: another replay,
    /// or a new dead letter appended) reads the entry again.
    private func replay(id: StreamEntryID, in deadLetterStream: String) async throws -> Replayed? {
        while true {
            _ = try await self.redis.send(RedisCommand("WATCH", deadLetterStream)).orThrow()
            guard let entry = try await self.redis.range(stream: deadLetterStream, from: id.description, to: id.description).first else {
                _ = try await self.redis.send(RedisCommand("UNWATCH")).orThrow()
                return nil
            }
            if let replayed = try await self.replay(entry) { return replayed }
        }
    }

    /// nil when `EXEC` was aborted by the `WATCH`.
    private func replay(_ letter: StreamEntry) async throws -> Replayed? {
        guard let stream = letter[field: "stream"], !stream.isEmpty else {
            _ = try? await self.redis.send(RedisCommand("UNWATCH"))
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
            _ = try? await self.redis.send(RedisCommand("UNWATCH"))
            throw Failure(description: "\(letter.stream) \(letter.id) has no original fields to replay")
        }
        let replies = try await self.redis.pipeline([
            RedisCommand("MULTI"), add, RedisCommand("XDEL", letter.stream, letter.id), RedisCommand("EXEC"),
        ])
        if case .null = try replies.last?.orThrow() { return nil }
        guard let results = try replies.last?.orThrow().array, results.count == 2,
              let newID = try results[0].orThrow().string.flatMap({ StreamEntryID($0) })
        else {
            throw Failure(description: "replaying \(letter.stream) \(letter.id) failed: \(replies)")
        }
        return Replayed(deadLetterID: letter.id, stream: stream, newID: newID)
    }
}
