import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Synchronization
import Testing

@Suite("Replaying dead letters")
struct DeadLetterReplayTests {
    @Test func aReplayedEntryIsHandledAgainOnceTheCauseIsFixed() async throws {
        let fixture = try await StreamFixture.make()
        let receiverDown = Mutex(true)
        let handler = ScriptedHandler { eventID, _ in
            eventID == "event-2" && receiverDown.withLock({ $0 }) ? .retry(reason: "receiver down") : .done
        }
        let service = fixture.service(handler)
        try await fixture.add(3)
        let deadLetterStream = fixture.configuration().deadLetterStream

        try await whileRunning(service) {
            try await eventually("event-2 dead-lettered") { try await fixture.deadLetters().count == 1 }
            receiverDown.withLock { $0 = false }
            let replayed = try await DeadLetterReplay(redis: fixture.redis).replay(deadLetterStream: deadLetterStream, ids: nil)
            #expect(replayed.count == 1)
            #expect(replayed.first?.stream == fixture.stream)
            try await eventually("the replayed entry handled") { handler.attempts("event-2") == 4 }
            try await eventually("nothing pending") { try await fixture.pending() == 0 }
        }
        #expect(try await fixture.deadLetters().isEmpty)
        let entries = try await fixture.redis.range(stream: fixture.stream)
        #expect(entries.count == 4)
        // The replay carries the original fields, and only those.
        #expect(entries.last?.fields.map(\.name) == ["id", "amount"])
        #expect(entries.last?[field: "id"] == "event-2")
    }

    @Test func replaysOnlyTheGivenIdsAndRefusesUnknownOnes() async throws {
        let fixture = try await StreamFixture.make()
        let deadLetterStream = fixture.configuration().deadLetterStream
        var ids: [StreamEntryID] = []
        for index in 1...3 {
            let reply = try await fixture.redis.send(RedisCommand(
                "XADD", deadLetterStream, "*", "stream", fixture.stream, "reason", "test", "original.id", "event-\(index)"
            ))
            ids.append(try #require(reply.string.flatMap { StreamEntryID($0) }))
        }
        let replay = DeadLetterReplay(redis: fixture.redis)
        let replayed = try await replay.replay(deadLetterStream: deadLetterStream, ids: [ids[1]])
        #expect(replayed.map(\.deadLetterID) == [ids[1]])
        #expect(try await fixture.redis.range(stream: deadLetterStream).map(\.id) == [ids[0], ids[2]])
        #expect(try await fixture.redis.range(stream: fixture.stream).map { $0[field: "id"] } == ["event-2"])
        await #expect(throws: DeadLetterReplay.Failure.self) {
            try await replay.replay(deadLetterStream: deadLetterStream, ids: [StreamEntryID(milliseconds: 1, sequence: 0)])
        }
    }
}
