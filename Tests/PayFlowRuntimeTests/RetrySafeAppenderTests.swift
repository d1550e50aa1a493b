import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

@Suite("Retry-safe appender")
struct RetrySafeAppenderTests {
    /// The fault the appender exists for, made real: Redis applies part of a
    /// large pipeline, then drops the connection (`CLIENT KILL` from another
    /// client lands between the chunks Redis reads). The retry must leave
    /// every message on the stream once, in order, with a deliberate repeat
    /// kept as two entries, and must not take another writer's entries for
    /// its own.
    ///
    /// When the machine is busy the kill can come after Redis has applied the
    /// whole pipeline; that attempt proves nothing, so it is made again with a
    /// larger batch. One attempt must cut the pipeline midway.
    @Test func aRetryAfterACutPipelineWritesEachMessageOnce() async throws {
        for attempt in 1...8 {
            if try await Self.cutAndRetry(messageCount: 40_000 * attempt) { return }
        }
        Issue.record("the kill never cut the pipeline midway in 8 attempts")
    }

    /// Returns false when the kill did not cut the pipeline midway.
    static func cutAndRetry(messageCount: Int) async throws -> Bool {
        let fixture = try await StreamFixture.make()
        let writer = try await RedisConnection.connect(configuration: fixture.redis.configuration)
        let appender = RetrySafeAppender(producer: StreamProducer(connection: writer, maxLength: nil), stream: fixture.stream, keyField: "id")
        try await appender.append([[("id", "before-1")], [("id", "before-2")]])

        // "m-7" comes twice, as an injected duplicate would.
        var batch: [RetrySafeAppender.Fields] = (0..<messageCount).map { [("id", "m-\($0)"), ("n", String($0))] }
        batch.insert([("id", "m-7"), ("n", "7")], at: 8)
        let messages = batch
        let writerID = try #require(try await writer.send(RedisCommand("CLIENT", "ID")).integer)

        let cut = Task { try await appender.append(messages) }
        try await eventually("Redis to apply part of the pipeline", timeout: .seconds(60), every: .milliseconds(1)) {
            try await fixture.redis.send(RedisCommand("XLEN", fixture.stream)).integer ?? 0 > 2
        }
        try await fixture.redis.send(RedisCommand("CLIENT", "KILL", "ID", writerID))
        let finishedBeforeTheKill = (try? await cut.value) != nil
        let landed = try #require(try await fixture.redis.send(RedisCommand("XLEN", fixture.stream)).integer) - 2
        guard !finishedBeforeTheKill, landed > 0, landed < messages.count else {
            await writer.close()
            return false
        }

        // Another writer gets in before the retry.
        try await fixture.redis.send(RedisCommand("XADD", fixture.stream, "*", "id", "foreign"))

        let ids = try await appender.append(messages)

        let entries = try await fixture.redis.range(stream: fixture.stream)
        let ours = entries.filter { $0[field: "id"] != "foreign" }
        #expect(ours.compactMap { $0[field: "id"] } == ["before-1", "before-2"] + messages.map { $0[0].value })
        #expect(ids == Array(ours.dropFirst(2).map(\.id)))
        #expect(entries.filter { $0[field: "id"] == "foreign" }.count == 1)
        await writer.close()
        return true
    }

    @Test func withoutAFailureItAppendsAsTheProducerDoes() async throws {
        let fixture = try await StreamFixture.make()
        let appender = RetrySafeAppender(producer: StreamProducer(connection: fixture.redis, maxLength: nil), stream: fixture.stream, keyField: "id")
        // The same key again in a later batch is a new entry: only a retry
        // after a failure looks for earlier copies.
        let first = try await appender.append([[("id", "a")], [("id", "b")]])
        let second = try await appender.append([[("id", "a")]])
        #expect(first.count == 2 && second.count == 1)
        #expect(try await fixture.redis.range(stream: fixture.stream).compactMap { $0[field: "id"] } == ["a", "b", "a"])
    }
}

extension RetrySafeAppenderTests {
    /// A batch over three shards whose last shard's part fails after the
    /// first two parts landed: the retry of the whole batch adds nothing
    /// twice on any shard, and each message lands on its account's shard.
    @Test func aBatchOverShardsRetriedAfterOneShardFailedLandsOnce() async throws {
        let fixture = try await StreamFixture.make()
        let shards = StreamShards(count: 3)
        let appender = ShardedAppender(
            producer: StreamProducer(connection: fixture.redis, maxLength: nil), stream: fixture.stream, shards: shards,
            keyField: "id", shardField: "account"
        )
        // Every shard written once, so every shard's floor is known.
        let before: [ShardedAppender.Fields] = (0..<12).map { [("id", "before-\($0)"), ("account", "acct-\($0)")] }
        try await appender.append(before)
        let messages: [ShardedAppender.Fields] = (0..<60).map { [("id", "m-\($0)"), ("account", "acct-\($0 % 12)")] }
        let accountsByShard = Dictionary(grouping: (0..<12).map { "acct-\($0)" }) { shards.shard(ofAccount: $0).index }
        #expect(accountsByShard.count == 3, "twelve accounts cover the three shards")

        // The last shard's stream is set aside and a string put in its place:
        // its XADDs fail, after the other shards' parts were added.
        let last = shards.shards[2].name(fixture.stream)
        try await fixture.redis.send(RedisCommand("RENAME", last, "\(last):aside"))
        try await fixture.redis.send(RedisCommand("SET", last, "in the way"))
        await #expect(throws: RedisError.self) { try await appender.append(messages) }
        #expect(try await fixture.redis.range(stream: shards.shards[0].name(fixture.stream)).count > 0, "a part landed before the failure")
        try await fixture.redis.send(RedisCommand("DEL", last))
        try await fixture.redis.send(RedisCommand("RENAME", "\(last):aside", last))

        let ids = try await appender.append(messages)

        var onStreams: [String: String] = [:]
        for shard in shards.shards {
            for entry in try await fixture.redis.range(stream: shard.name(fixture.stream)) {
                let id = try #require(entry[field: "id"])
                #expect(onStreams[id] == nil, "\(id) twice")
                onStreams[id] = shard.name(fixture.stream)
                #expect(shards.shard(ofAccount: entry[field: "account"] ?? "") == shard, "\(id) on its account's shard")
            }
        }
        #expect(Set(onStreams.keys) == Set((before + messages).map { $0[0].value }))
        #expect(ids.count == messages.count && !ids.contains(.zero))
    }
}
