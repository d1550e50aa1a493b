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
