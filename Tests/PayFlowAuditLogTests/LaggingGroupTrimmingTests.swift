import Logging
import PayFlowAuditLog
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// Trimming never drops an entry a group still needs: one group is stopped
/// while `payflow:events` grows far past what `MAXLEN ~` used to keep, the
/// trimmer runs all along, and once the group is back it handles every
/// entry, the audit log holds every entry exactly once, and the stream is
/// then trimmed down.
@Suite("Trimming with a lagging group")
struct LaggingGroupTrimmingTests {
    /// What `STREAM_MAXLEN` used to cut `XADD`s to in this scenario: the
    /// stopped group falls behind by six times as much.
    static let oldLimit = 1_000
    static let produced = 6_500

    /// A group that only records what it was handed: the consumer that is stopped.
    struct RecordingHandler: ConsumerGroupHandler {
        let seen: Shared<[String: Int]>

        func decode(_ entry: StreamEntry) throws -> String { entry[field: "id"] ?? "" }

        func handle(_ batch: [Delivery<String>]) async throws -> [StreamEntry.Key: EntryOutcome] {
            self.seen.withLock { seen in
                for delivery in batch { seen[delivery.message, default: 0] += 1 }
            }
            return batch.outcomes(.done)
        }
    }

    func environment(_ fixture: AuditFixture, consumer: String) -> Environment {
        Environment([
            "REDIS_URL": fixture.redisURL, "DATABASE_URL": fixture.databaseURL, "CONSUMER_NAME": consumer,
            "STREAM_BATCH_SIZE": "200", "STREAM_BLOCK_MS": "100", "CLAIM_MIN_IDLE_MS": "2000", "CLAIM_INTERVAL_MS": "200",
            // Trim often, with the safety limit far above the stopped group's lag.
            "STREAM_TRIM_INTERVAL_MS": "50", "STREAM_MAXLEN": "1000000",
        ])
    }

    func laggard(_ fixture: AuditFixture, seen: Shared<[String: Int]>) throws -> PayFlowApplication {
        let context = ProcessContext(environment: self.environment(fixture, consumer: "laggard-1"), logger: AuditFixture.quietLogger)
        var application = try PayFlowApplication(context, defaultPort: 0)
        var group = ConsumerGroupConfiguration(group: "laggard", streams: [StreamNames.events], consumerName: "laggard-1")
        group.batchSize = 200
        group.block = .milliseconds(100)
        application.addConsumerGroup(group, handler: RecordingHandler(seen: seen))
        return application
    }

    func produce(_ range: Range<Int>, on redis: RedisConnection) async throws {
        for chunk in stride(from: range.lowerBound, to: range.upperBound, by: 500) {
            let commands = (chunk..<min(chunk + 500, range.upperBound)).map {
                RedisCommand("XADD", StreamNames.events, "*", "id", "evt-\($0)", "type", "payment")
            }
            for reply in try await redis.pipeline(commands) { try reply.orThrow() }
        }
    }

    @Test func aStoppedGroupLosesNothingAndTheAuditLogIsExact() async throws {
        try await AuditFixture.with(redisDatabase: .trimmingLaggingGroup) { fixture in
            let seen = Shared<[String: Int]>([:])
            // The process that writes payflow:events trims it (the generator's does).
            let producerContext = ProcessContext(environment: self.environment(fixture, consumer: "producer"), logger: AuditFixture.quietLogger)
            var producer = try PayFlowApplication(producerContext, defaultPort: 0)
            producer.trimStreams([StreamTrimmer.Target(stream: StreamNames.events)])
            let audit = try await AuditLogService.make(ProcessContext(
                environment: self.environment(fixture, consumer: "audit-1"), logger: AuditFixture.quietLogger
            ))
            let warmUp = 500

            try await withApplicationsRunning([producer, audit]) {
                // Both groups read the first entries; then the laggard stops.
                try await withApplicationsRunning([try self.laggard(fixture, seen: seen)]) {
                    try await self.produce(0..<warmUp, on: fixture.redis)
                    try await eventually("the laggard handled the first entries", timeout: .seconds(60)) {
                        seen.value.count == warmUp
                    }
                }
                // The stream grows far past the old limit while the trimmer runs.
                try await self.produce(warmUp..<Self.produced, on: fixture.redis)
                try await eventually("the audit log stored every entry", timeout: .seconds(120)) {
                    try await fixture.rowCount() == Self.produced
                }
                try await Task.sleep(for: .milliseconds(300))
                let kept = try #require(try await fixture.redis.send(RedisCommand("XLEN", StreamNames.events)).integer)
                #expect(kept >= Self.produced - warmUp, "the stream keeps what the stopped group has not read: \(kept)")
                #expect(kept > Self.oldLimit)

                // The laggard comes back and finds everything.
                try await withApplicationsRunning([try self.laggard(fixture, seen: seen)]) {
                    try await eventually("the laggard caught up", timeout: .seconds(120)) {
                        seen.value.count == Self.produced
                    }
                    // Once every group has read everything, the stream is trimmed down.
                    try await eventually("the stream trimmed once every group read it", timeout: .seconds(90)) {
                        try await fixture.redis.send(RedisCommand("XLEN", StreamNames.events)).integer ?? .max < Self.oldLimit
                    }
                }
            }

            #expect(Set(seen.value.keys) == Set((0..<Self.produced).map { "evt-\($0)" }), "every produced entry handled")
            #expect(try await fixture.rowCount() == Self.produced)
            #expect(try await fixture.duplicateRowCount() == 0)
            let verdict = try await fixture.verify()
            guard case .intact(let rows, _) = verdict else {
                Issue.record("chain broken: \(verdict)")
                return
            }
            #expect(rows == Self.produced)
        }
    }
}
