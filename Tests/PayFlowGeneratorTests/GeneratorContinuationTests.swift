import Foundation
import Logging
import PayFlowDomain
import PayFlowGenerator
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import ServiceLifecycle
import Testing

/// A generator run on kept data continues the simulated world (issue 18), and
/// a batch committed in PostgreSQL but not on the stream is published on
/// restart, exactly once (issue 15, 4a).
///
/// "A new process" is a new ``Generator`` instance on the same Redis and
/// PostgreSQL databases: it knows nothing but what those hold, as a process
/// started again (after Ctrl-C or `kill -9`) knows nothing else either.
@Suite("Generator runs that continue the world")
struct GeneratorContinuationTests {
    private static let start = EventTimestamp(rfc3339: "2026-11-02T08:00:00Z")!

    private static func configuration(seed: UInt64?, total: Int, accounts: Int = 300) -> GeneratorConfiguration {
        GeneratorConfiguration(
            eventsPerSecond: nil, totalEvents: total, accounts: accounts, fraudRate: 0.01, inconsistencyRate: 0.02,
            seed: seed, startTime: Self.start
        )
    }

    private static func settings(_ base: IntegrationFixture, redis: RedisConfiguration? = nil) -> Generator.Settings {
        Generator.Settings(redis: redis ?? base.redisConfiguration, databaseURL: base.databaseURL, maxLag: nil)
    }

    private static var logger: Logger {
        var logger = Logger(label: "test.generator")
        logger.logLevel = .warning
        return logger
    }

    /// One generator "process": made, run to the end of one run, shut down;
    /// its status at the end.
    @discardableResult
    private static func oneRun(_ base: IntegrationFixture, _ configuration: GeneratorConfiguration) async throws -> GeneratorStatus {
        let generator = Generator(configuration: configuration, settings: Self.settings(base), logger: Self.logger)
        return try await withServicesRunning([generator]) {
            try await generator.start()
            try await eventually("the run to complete", timeout: .seconds(120)) { await generator.status().state == .stopped }
            return await generator.status()
        }
    }

    private static func streamEvents(_ redis: RedisConnection) async throws -> [PaymentEvent] {
        let reply = try await redis.send(RedisCommand("XRANGE", StreamNames.events, "-", "+"))
        return try (reply.array ?? []).map { item in
            try PaymentEvent(fields: try RedisConnectionEntry.make(try #require(item.array)).fields)
        }
    }

    private static func labelled(_ kind: MismatchKind, _ database: PostgresConnection) async throws -> Set<UUID> {
        Set(try await database.query(
            "SELECT transaction_id FROM generator_ground_truth WHERE category = 'inconsistency' AND name = $1", [kind.rawValue]
        ).rows.map { try $0.decode(0, as: UUID.self) })
    }

    /// Every ledger row is on the stream unless labelled `missing_in_stream`,
    /// and no event is on it twice unless labelled `duplicate_event`.
    private static func expectLedgerAndStreamAgree(_ base: IntegrationFixture) async throws {
        let stream = try await Self.streamEvents(base.redis)
        var copies: [UUID: Int] = [:]
        for event in stream { copies[event.id, default: 0] += 1 }
        let ledger = Set(try await base.database.query("SELECT transaction_id FROM reference_transactions").rows.map { try $0.decode(0, as: UUID.self) })
        #expect(ledger.subtracting(copies.keys) == (try await Self.labelled(.missingInStream, base.database)), "ledger rows missing on the stream, unlabelled")
        #expect(Set(copies.filter { $0.value > 1 }.keys) == (try await Self.labelled(.duplicateEvent, base.database)), "events on the stream twice, unlabelled")
    }

    @Test func threeProcessesInARowEmitWhatOneUninterruptedRunEmits() async throws {
        let uninterrupted = Shared<[PaymentEvent]>([])
        try await IntegrationFixture.with(redisDatabase: .generatorContinuation) { base in
            try await Self.oneRun(base, Self.configuration(seed: 11, total: 3000))
            uninterrupted.value = try await Self.streamEvents(base.redis)
        }
        try await IntegrationFixture.with(redisDatabase: .generatorContinuation) { base in
            // The first process names the seed; the next two, as `make run`
            // does, name none and continue the world they find.
            try await Self.oneRun(base, Self.configuration(seed: 11, total: 1000))
            try await Self.oneRun(base, Self.configuration(seed: nil, total: 1000))
            let third = try await Self.oneRun(base, Self.configuration(seed: nil, total: 1000))
            #expect(third.world == 1 && third.run == 3 && third.configuration.seed == 11, "the API names the world, run and seed continued")
            let continued = try await Self.streamEvents(base.redis)
            #expect(continued.count >= 3000)
            let common = min(continued.count, uninterrupted.value.count)
            #expect(common >= 3000)
            let expected = uninterrupted.value
            let diverging = (0..<common).first { continued[$0] != expected[$0] }
            #expect(diverging == nil, "a restart changed the simulated world from event \(diverging ?? -1) of \(common) on")
            let times = continued.map(\.occurredAt)
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "business time went back at a restart")

            let runs = try await base.database.query("SELECT run_id, world, seed FROM generator_runs ORDER BY run_id").rows
            #expect(try runs.map { try $0.decode(0, as: Int.self) } == [1, 2, 3])
            #expect(try runs.allSatisfy { try $0.decode(1, as: Int.self) == 1 && $0.decode(2, as: String.self) == "11" })
            let unscoped = try await base.database.query(
                "SELECT count(*) FROM generator_ground_truth WHERE run_id IS NULL"
            ).rows[0].decode(0, as: Int.self)
            #expect(unscoped == 0, "every label names its run")
            try await Self.expectLedgerAndStreamAgree(base)
        }
    }

    /// `POST /v1/generator/stop` then start, in one process: the world goes
    /// on from where it stopped, and the second start is a run of its own.
    @Test func aStopAndAStartContinueTheWorldAsANewRun() async throws {
        try await IntegrationFixture.with(redisDatabase: .generatorStopStart) { base in
            let generator = Generator(configuration: Self.configuration(seed: 13, total: 100_000), settings: Self.settings(base), logger: Self.logger)
            try await withServicesRunning([generator]) {
                for run in 1...2 {
                    let before = await generator.status().emittedTotal
                    try await generator.start()
                    try await eventually("run \(run) to emit", timeout: .seconds(120)) { await generator.status().emittedTotal >= before + 1_000 }
                    await generator.stop()
                    #expect(await generator.status().run == run)
                }
            }
            let stream = try await Self.streamEvents(base.redis)
            let times = stream.map(\.occurredAt)
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "business time went back at a start")
            let runs = try await base.database.query("SELECT run_id, first_event_at, last_event_at FROM generator_runs ORDER BY run_id").rows
            #expect(runs.count == 2)
            let firstEnds = try #require(try runs[0].decode(2, as: Date?.self))
            let secondBegins = try #require(try runs[1].decode(1, as: Date?.self))
            #expect(firstEnds <= secondBegins, "the second run begins where the first ended")
            try await Self.expectLedgerAndStreamAgree(base)
        }
    }

    /// The generator dies after its ledger commit and before (or during) its
    /// XADDs: here Redis is unreachable, so the batch commits and never gets
    /// on the stream, and the task is cancelled as `kill -9` would end it.
    /// A cut pipeline is then imitated by XADDing the first part of the
    /// batch by hand. The next process publishes what the stream lacks, once.
    @Test func aBatchCommittedButNotOnTheStreamIsPublishedOnceOnRestart() async throws {
        try await IntegrationFixture.with(redisDatabase: .generatorCrashWindow) { base in
            var unreachable = base.redisConfiguration
            unreachable.host = "127.0.0.1"
            unreachable.port = 1
            unreachable.connectTimeout = .milliseconds(200)
            let doomed = Generator(
                configuration: Self.configuration(seed: 21, total: 500), settings: Self.settings(base, redis: unreachable), logger: Logger.quiet("test.generator")
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await doomed.run() }
                try await doomed.start()
                try await eventually("the first batch to commit", timeout: .seconds(60)) {
                    try await base.database.query("SELECT count(*) FROM reference_transactions").rows[0].decode(0, as: Int.self) > 0
                }
                group.cancelAll()
                try? await group.waitForAll()
            }
            #expect(try await Self.streamEvents(base.redis).isEmpty)
            let pendingText = try #require(try await base.database.query("SELECT pending FROM generator_worlds").rows[0].decode(0, as: String?.self))
            let pending = try JSONDecoder().decode([[[String]]].self, from: Data(pendingText.utf8))
            #expect(pending.count >= 400)
            // What a pipeline cut after a third of the batch leaves behind.
            for fields in pending.prefix(pending.count / 3) {
                var add = RedisCommand("XADD", StreamNames.events, "*")
                for pair in fields { add.append(pair[0]); add.append(pair[1]) }
                _ = try await base.redis.send(add)
            }

            try await Self.oneRun(base, Self.configuration(seed: nil, total: 1000))
            #expect(try await base.database.query("SELECT pending FROM generator_worlds").rows[0].decode(0, as: String?.self) == nil)
            try await Self.expectLedgerAndStreamAgree(base)
        }
    }

    @Test func aConfigurationThatDoesNotFitTheWorldGetsANewWorldWithItsOwnAccounts() async throws {
        try await IntegrationFixture.with(redisDatabase: .generatorNewWorld) { base in
            try await Self.oneRun(base, Self.configuration(seed: 5, total: 300, accounts: 300))
            let second = try await Self.oneRun(base, Self.configuration(seed: nil, total: 300, accounts: 200))
            #expect(second.world == 2 && second.accountPrefix == "w2-acc-", "the API says a new world began")
            try await Self.oneRun(base, Self.configuration(seed: nil, total: 300, accounts: 200))
            let events = try await Self.streamEvents(base.redis)
            let firstWorld = events.filter { $0.account.hasPrefix("acc-") }
            let secondWorld = events.filter { $0.account.hasPrefix("w2-acc-") }
            #expect(firstWorld.count >= 300 && secondWorld.count >= 600)
            #expect(firstWorld.count + secondWorld.count == events.count)
            let worlds = try await base.database.query("SELECT world, accounts, account_prefix FROM generator_worlds ORDER BY world").rows
            #expect(try worlds.map { try $0.decode(2, as: String.self) } == ["acc-", "w2-acc-"])
            let runs = try await base.database.query("SELECT world FROM generator_runs ORDER BY run_id").rows
            #expect(try runs.map { try $0.decode(0, as: Int.self) } == [1, 2, 2])
        }
    }
}
