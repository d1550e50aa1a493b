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

extension StreamsSnapshotTests {
    /// Three shards of one stream read as one: lengths, pending and lag add
    /// up, consumers are one replica's, dead letters add up by reason.
    @Test func shardsAreSummedIntoOneRowPerStream() async throws {
        let fixture = try await StreamFixture.make()
        let shards = StreamShards(count: 3)
        let group = fixture.group
        for (shard, count) in zip(shards.shards, [4, 5, 6]) {
            let stream = shard.name(fixture.stream)
            for n in 0..<count {
                try await fixture.redis.send(RedisCommand("XADD", stream, "*", "n", n))
            }
            try await fixture.redis.send(RedisCommand("XGROUP", "CREATE", stream, group, "0"))
            // One consumer per shard, as each replica has; it reads two of each.
            try await fixture.redis.send(RedisCommand("XREADGROUP", "GROUP", group, "replica-1", "COUNT", 2, "STREAMS", stream, ">"))
            try await fixture.redis.send(RedisCommand("XADD", shard.name("\(fixture.stream):dlq"), "*", "reason", "bad amount"))
        }

        let snapshot = try await StreamsSnapshot.read(
            redis: fixture.redis, shards: shards, streams: [fixture.stream], deadLetterStreams: ["\(fixture.stream):dlq"]
        ).summedOverShards()

        let stream = try #require(snapshot.streams.first)
        #expect(snapshot.streams.count == 1 && stream.name == fixture.stream)
        #expect(stream.info?.length == 15)
        let summed = try #require(stream.groups.first)
        #expect(summed.info.consumers == 1)
        #expect(summed.info.pending == 6)
        #expect(summed.info.lag == 9)
        #expect(snapshot.deadLetters.map(\.stream) == ["\(fixture.stream):dlq"])
        #expect(snapshot.deadLetters.first?.length == 3)
        #expect(snapshot.deadLetters.first?.topReasons.first?.count == 3)
    }
}
