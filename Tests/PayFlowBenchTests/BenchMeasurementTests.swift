import Foundation
import Logging
import PayFlowBench
import PayFlowDomain
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// The figures of `make bench` come from these two readers; with entry ids
/// chosen by hand, what they report is known exactly. A Redis database of
/// their own (``RedisTestDatabase/benchMeasurements``: the stream names are
/// PayFlow's own).
@Suite("make bench measurements", .serialized)
struct BenchMeasurementTests {
    static func redis() async throws -> (RedisConfiguration, RedisConnection) {
        let configuration = try await RedisTestDatabase.benchMeasurements.configuration()
        let connection = try await RedisConnection.connect(configuration: configuration)
        try await connection.send(RedisCommand("FLUSHDB"))
        return (configuration, connection)
    }

    @Test func eventToAlertLatencyComesFromTheRaisingEventsID() async throws {
        let (configuration, redis) = try await Self.redis()
        let t1 = "2026-03-02T08:00:00.000001Z", t2 = "2026-03-02T08:00:05.000002Z"
        for command in [
            RedisCommand("XADD", StreamNames.events, "1000-0", "id", "e1", "account", "acc-a", "occurred_at", t1),
            RedisCommand("XADD", StreamNames.events, "1010-0", "id", "e2", "account", "acc-b", "occurred_at", t2),
            // Raised by e1, 3 ms later, naming an earlier event (as velocity alerts do).
            RedisCommand("XADD", StreamNames.alerts, "1003-0", "event_id", "e0", "account", "acc-a", "detected_at", t1, "rule", "velocity"),
            // Raised by e2 after a settle pass, 490 ms later.
            RedisCommand("XADD", StreamNames.alerts, "1500-0", "event_id", "e2", "account", "acc-b", "detected_at", t2, "rule", "blocked_account_activity"),
            // No event in the range raised this one.
            RedisCommand("XADD", StreamNames.alerts, "1600-0", "event_id", "e9", "account", "acc-c", "detected_at", t1, "rule", "velocity"),
        ] {
            try await redis.send(command).orThrow()
        }

        let result = try await AlertLatency(redis: configuration, logger: Logger(label: "test")).measure(eventsAfter: "0", alertsAfter: "0")
        #expect(result.events == 2)
        #expect(result.eventSpanMilliseconds == 10)
        #expect(result.unmatched == 1)
        #expect(result.all.alerts == 2)
        #expect(result.all.p50Milliseconds == 3)
        #expect(result.all.maxMilliseconds == 490)
        #expect(result.judgedOnArrival.alerts == 1)
        #expect(result.judgedOnArrival.maxMilliseconds == 3)

        let later = try await AlertLatency(redis: configuration, logger: Logger(label: "test")).measure(eventsAfter: "1000-0", alertsAfter: "1003-0")
        #expect(later.events == 1)
        #expect(later.all.alerts == 1)
        #expect(later.unmatched == 1)
        try await redis.send(RedisCommand("FLUSHDB"))
        await redis.close()
    }

    @Test func drainedOnlyWhenEveryGroupHasReadAndAckedEverything() async throws {
        let (configuration, redis) = try await Self.redis()
        for index in 0..<3 {
            try await redis.send(RedisCommand("XADD", StreamNames.events, "*", "n", "\(index)")).orThrow()
        }
        try await redis.send(RedisCommand("XGROUP", "CREATE", StreamNames.events, "g", "0")).orThrow()
        let watch = DrainWatch(
            redis: configuration, databaseURL: nil, groups: ["g"], expectedEvents: 3, stableFor: .milliseconds(200), logger: Logger(label: "test")
        )
        await #expect(throws: DrainWatchError.self) { try await watch.wait(timeout: .milliseconds(500)) }

        // Read but not acked: still not drained.
        let read = try await redis.send(RedisCommand("XREADGROUP", "GROUP", "g", "c", "COUNT", 10, "STREAMS", StreamNames.events, ">"))
        await #expect(throws: DrainWatchError.self) { try await watch.wait(timeout: .milliseconds(500)) }

        let ids = try #require(read.array?.first?.array?.last?.array).compactMap { $0.array?.first?.string }
        #expect(ids.count == 3)
        var ack = RedisCommand("XACK", StreamNames.events, "g")
        for id in ids { ack.append(id) }
        try await redis.send(ack).orThrow()
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let result = try await watch.wait(timeout: .seconds(10))
        #expect(result.streamLengths[StreamNames.events] == 3)
        #expect(result.drainedAtMilliseconds >= before)
        #expect(result.firstEventMilliseconds != nil && result.firstEventMilliseconds! <= result.lastEventMilliseconds!)
        try await redis.send(RedisCommand("FLUSHDB"))
        await redis.close()
    }

    /// The transport floor's figure is per entry for all the groups: every
    /// group has to read and ack every entry before the drain ends, and the
    /// groups it made are gone afterwards (the bench runs it next to others).
    @Test(.timeLimit(.minutes(1))) func transportFloorDrainsEveryEntryInEveryGroup() async throws {
        let (configuration, redis) = try await Self.redis()
        let stream = "payflow:bench:transport-test"
        let benchmark = RuntimeBenchmark(redis: configuration, entries: 3_000, batchSize: 256, logger: Logger(label: "test"))
        try await benchmark.preload(stream: stream)
        #expect(try await redis.send(RedisCommand("XLEN", stream)).integer == 3_000)

        let result = try await benchmark.drain(stream: stream, consumers: 1, groups: 3)
        #expect(result.groups == 3)
        #expect(result.consumers == 1)
        #expect(result.entries == 3_000)
        #expect(result.seconds > 0 && result.entriesPerSecond > 0)
        #expect(result.clientCPUMicrosecondsPerEntry > 0)
        let groups = try await redis.send(RedisCommand("XINFO", "GROUPS", stream))
        #expect(groups.array?.isEmpty == true)
        try await redis.send(RedisCommand("FLUSHDB"))
        await redis.close()
    }
}
