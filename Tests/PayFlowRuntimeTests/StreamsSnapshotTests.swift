import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

@Suite("The stream inspector")
struct StreamsSnapshotTests {
    @Test func showsLengthsGroupsPendingAndDeadLetterReasons() async throws {
        let fixture = try await StreamFixture.make()
        try await fixture.add(5)
        try await fixture.createGroup()
        _ = try await fixture.takeWithoutAck(as: "slow", count: 2)
        let deadLetterStream = fixture.configuration().deadLetterStream
        for reason in ["bad amount", "bad amount", "unknown currency"] {
            try await fixture.redis.send(RedisCommand("XADD", deadLetterStream, "*", "reason", reason, "original.id", "x"))
        }
        let missing = uniqueName("test:missing")

        let snapshot = try await StreamsSnapshot.read(
            redis: fixture.redis, streams: [fixture.stream, missing], deadLetterStreams: [deadLetterStream]
        )
        let stream = try #require(snapshot.streams.first)
        #expect(stream.info?.length == 5)
        let group = try #require(stream.groups.first)
        #expect(group.info.name == fixture.group)
        #expect(group.info.pending == 2)
        #expect(group.info.lag == 3)
        #expect(group.oldestPendingID == stream.info?.firstEntryID)
        #expect(snapshot.streams[1].info == nil)
        #expect(snapshot.deadLetters.first?.length == 3)
        #expect(snapshot.deadLetters.first?.topReasons.first?.reason == "bad amount")
        #expect(snapshot.deadLetters.first?.topReasons.first?.count == 2)

        let table = StreamsTable(current: snapshot).rendered
        #expect(table.contains(fixture.group))
        #expect(table.contains("2× bad amount; 1× unknown currency"))
    }
}
