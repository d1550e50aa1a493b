import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

@Suite("Stream producer")
struct StreamProducerTests {
    @Test func appendsInOrderAndReturnsTheIDs() async throws {
        let fixture = try await StreamFixture.make()
        let producer = StreamProducer(connection: fixture.redis, maxLength: nil)
        let ids = try await producer.add((1...100).map { StreamProducer.Message(stream: fixture.stream, fields: [("n", String($0))]) })
        #expect(ids.count == 100)
        #expect(ids == ids.sorted())
        let last = try await fixture.redis.send(RedisCommand("XREVRANGE", fixture.stream, "+", "-", "COUNT", 1))
        #expect(last.array?.first?.array?.first?.string == ids.last?.description)
        #expect(try await fixture.redis.send(RedisCommand("XLEN", fixture.stream)).integer == 100)
    }

    @Test func trimsApproximatelyToMaxLength() async throws {
        let fixture = try await StreamFixture.make()
        let producer = StreamProducer(connection: fixture.redis, maxLength: 100)
        for _ in 0..<10 {
            try await producer.add((1...100).map { StreamProducer.Message(stream: fixture.stream, fields: [("n", String($0))]) })
        }
        let length = try #require(try await fixture.redis.send(RedisCommand("XLEN", fixture.stream)).integer)
        #expect(length >= 100)
        #expect(length < 1000)
    }
}
