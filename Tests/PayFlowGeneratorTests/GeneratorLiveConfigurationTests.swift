import Foundation
import Logging
import PayFlowDomain
import PayFlowGenerator
import PayFlowPostgres
import PayFlowRedis
import PayFlowScoring
import PayFlowTestSupport
import Testing

/// A running generator reconfigured without a restart (issue 16): the rate
/// follows a `PUT` within a second, the events' fields change from the next
/// step on and are recorded, the world's fields are refused; and an event
/// injected with a ground-truth label is scored as labelled.
///
/// The generator connects as its own PostgreSQL role and Redis user, so a
/// grant missing in `db/0017` fails here. Serialized: the tests share Redis
/// database ``RedisTestDatabase/generatorLiveConfiguration``, which each flushes.
@Suite("Generator reconfigured while running", .serialized)
struct GeneratorLiveConfigurationTests {
    private static let start = EventTimestamp(rfc3339: "2026-11-02T08:00:00Z")!

    private func withGenerator(
        redisDatabase: RedisTestDatabase, _ body: @escaping @Sendable (Generator, IntegrationFixture) async throws -> Void
    ) async throws {
        try await IntegrationFixture.with(redisDatabase: redisDatabase) { base in
            let redisURL = ServiceRole.generator.redisURL(from: base.redisURL, environment: try await TestServers.serviceURLs())
            let settings = Generator.Settings(
                redis: try RedisConfiguration(url: redisURL), databaseURL: ServiceRole.generator.databaseURL(from: base.databaseURL), maxLag: nil
            )
            var logger = Logger(label: "test.generator")
            logger.logLevel = .warning
            let generator = Generator(configuration: GeneratorConfiguration(), settings: settings, logger: logger)
            try await withServicesRunning([generator]) { try await body(generator, base) }
        }
    }

    /// Whether `emitted` events since `change` (at least `count`) are more
    /// than `oldRate` could have allowed: its rate over the elapsed time, plus
    /// the pacer's second of credit and a batch of slack. A bound on what was
    /// written, not on how fast, so a loaded machine cannot break it.
    private static func outpaced(oldRate: Double, emitted: Int, atLeast count: Int, since change: ContinuousClock.Instant) -> Bool {
        emitted >= count && Double(emitted) > oldRate * ((ContinuousClock.now - change).seconds + 1) + 50
    }

    /// Bounds that load cannot break: a stalled writer emits less, never
    /// more, and catches up on what its rate allowed. So a higher rate is shown
    /// by reaching in seconds a count the old rate would need 40 s for, and a
    /// lower one by the total staying under the area of the rate curve (400/s
    /// kept would overshoot it by hundreds within seconds). Seen failing on a
    /// loaded machine, 2,503 events against 2,080, when the pacer credited a
    /// stall across the PUT at the new rate.
    @Test func aRunningGeneratorsRateFollowsAPutWithinASecond() async throws {
        try await self.withGenerator(redisDatabase: .generatorLiveConfiguration) { generator, _ in
            var configuration = GeneratorConfiguration(
                eventsPerSecond: 20, accounts: 300, fraudRate: 0, inconsistencyRate: 0, seed: 4, startTime: Self.start, profile: .clean
            )
            try await generator.configure(configuration)
            let started = ContinuousClock.now
            try await generator.start()
            try await eventually("the run to begin") { await generator.status().emittedTotal > 0 }
            try await Task.sleep(for: .seconds(1))
            #expect(await generator.status().currentRate == 20)

            configuration.eventsPerSecond = 400
            let faster = ContinuousClock.now
            let beforeFaster = await generator.status().emittedTotal
            try await generator.configure(configuration)
            #expect(await generator.status().state == .running, "no restart")
            #expect(await generator.status().currentRate == 400)
            // 800 more events: 2 s at 400/s, 40 s at 20/s; sooner than 20/s
            // could have allowed, however slow the machine (a writer starved
            // to 50/s still shows it, one left at 20/s never).
            try await eventually("800 events at the new rate, more than 20/s allowed", timeout: .seconds(60)) {
                Self.outpaced(oldRate: 20, emitted: await generator.status().emittedTotal - beforeFaster, atLeast: 800, since: faster)
            }
            let reached = ContinuousClock.now - faster

            configuration.eventsPerSecond = 10
            try await generator.configure(configuration)
            let slower = ContinuousClock.now
            try await Task.sleep(for: .seconds(4))
            // The area under the rate curve, each rate taken over an interval
            // that contains the one it was in force (400/s from before its
            // PUT to after the next), plus the first event and a step's extra
            // events as slack: the pacer splits a stalled call's credit at a
            // PUT, so no stall can add to it.
            let area = 20 * (faster - started).seconds + 400 * (slower - faster).seconds + 10 * (ContinuousClock.now - slower).seconds
            let total = await generator.status().emittedTotal
            print("live rate: 800 events at 400/s reached \(reached) after the PUT; \(total) emitted in all, at most \(Int(area)) allowed")
            #expect(Double(total) <= area + 50, "\(total) events, more than the rate curve allows (\(Int(area)))")
            #expect(await generator.status().configurationChanges == 0, "a rate is pacing only: nothing to record")
            await generator.stop()
        }
    }

    @Test func aLoadProfileChangeTakesEffectLiveAndRestartsItsClock() async throws {
        try await self.withGenerator(redisDatabase: .generatorLiveConfiguration) { generator, _ in
            var configuration = GeneratorConfiguration(
                eventsPerSecond: 50, accounts: 300, fraudRate: 0, inconsistencyRate: 0, seed: 5, startTime: Self.start, profile: .clean
            )
            try await generator.configure(configuration)
            try await generator.start()
            try await Task.sleep(for: .milliseconds(1500))
            configuration.loadProfile = .ramp(from: 300, to: 600, durationSeconds: 60)
            try await generator.configure(configuration)
            let status = await generator.status()
            #expect((status.loadProfileElapsedSeconds ?? 99) < 1, "the profile's clock starts at the PUT")
            #expect((300...310).contains(status.currentRate ?? 0))
            // 900 more events: 3 s on the ramp, 18 s at the old 50/s; sooner
            // than 50/s could have allowed, however slow the machine.
            let before = status.emittedTotal
            let put = ContinuousClock.now
            try await eventually("900 events on the ramp, more than 50/s allowed", timeout: .seconds(60)) {
                Self.outpaced(oldRate: 50, emitted: await generator.status().emittedTotal - before, atLeast: 900, since: put)
            }
            await generator.stop()
            #expect(await generator.status().currentRate == nil)
        }
    }

    /// The mix changes from the next step on, in the same world and run, and
    /// the change is recorded with the step it was made at.
    @Test func aMixChangeContinuesTheRunAndIsRecorded() async throws {
        try await self.withGenerator(redisDatabase: .generatorLiveConfiguration) { generator, base in
            var configuration = GeneratorConfiguration(
                eventsPerSecond: 300, accounts: 300, fraudRate: 0, inconsistencyRate: 0, seed: 6, startTime: Self.start, profile: .clean
            )
            try await generator.configure(configuration)
            try await generator.start()
            try await eventually("some traffic") { await generator.status().emittedTotal > 200 }
            let run = await generator.status().run
            configuration.mix = [.topup: 1]
            try await generator.configure(configuration)
            try await eventually("the change to be applied") { await generator.status().configurationChanges == 1 }
            let topupsBefore = await generator.status().emittedByType[.topup] ?? 0
            let paymentsBefore = await generator.status().emittedByType[.payment] ?? 0
            try await Task.sleep(for: .seconds(1))
            let after = await generator.status()
            #expect(after.run == run && after.state == .running, "the same run, not restarted")
            #expect((after.emittedByType[.topup] ?? 0) > topupsBefore + 100)
            // A batch in flight at the PUT may still hold payments, no more: on
            // a loaded machine one batch can be the pacer's cap of 1,000 (plus
            // a step's extra events). The top-ups above show the change applied.
            #expect((after.emittedByType[.payment] ?? 0) <= paymentsBefore + 1_010)
            await generator.stop()

            let rows = try await base.database.query(
                "SELECT at_step, configuration->'mix' FROM generator_configuration_changes WHERE run_id = $1 ORDER BY at_step", [run]
            ).rows
            #expect(rows.count == 2, "the run's first configuration and its one change")
            #expect(try rows.first?.decode(0, as: Int.self) == 0)
            #expect(try (rows.last?.decode(0, as: Int.self) ?? 0) > 0)
            #expect(try rows.last?.decode(1, as: String.self).contains("topup") == true)
            #expect(try rows.last?.decode(1, as: String.self).contains("payment") == false)
        }
    }

    @Test func theWorldsFieldsAreRefusedWhileRunning() async throws {
        try await self.withGenerator(redisDatabase: .generatorLiveConfiguration) { generator, _ in
            let configuration = GeneratorConfiguration(eventsPerSecond: 50, accounts: 300, seed: 7, startTime: Self.start, profile: .clean)
            try await generator.configure(configuration)
            try await generator.start()
            var resized = configuration
            resized.accounts = 400
            await #expect(throws: GeneratorConfigurationError.self) { try await generator.configure(resized) }
            var reseeded = configuration
            reseeded.seed = 8
            do {
                try await generator.configure(reseeded)
                Issue.record("a new seed was accepted while running")
            } catch let error as GeneratorConfigurationError {
                #expect(error.reason == .changesRunningWorld)
            }
            var currencies = configuration
            currencies.currencies = [.eur]
            await #expect(throws: GeneratorConfigurationError.self) { try await generator.configure(currencies) }
            // No seed, or the running one, is the same world.
            var unseeded = configuration
            unseeded.seed = nil
            try await generator.configure(unseeded)
            try await generator.configure(configuration)
            #expect(await generator.status().configuration.accounts == 300)
            // Stopped, a new world is fine (it applies at the next start).
            await generator.stop()
            try await generator.configure(reseeded)
        }
    }

    /// `POST /v1/events` with a label: the ground-truth row is written with
    /// the event, in the current run, so the fraud report counts an alert on
    /// it as a labelled detection rather than a false positive.
    @Test func aLabelledInjectedEventIsScoredAsLabelled() async throws {
        try await self.withGenerator(redisDatabase: .generatorLabelledInjection) { generator, base in
            try await generator.configure(GeneratorConfiguration(eventsPerSecond: 50, accounts: 100, seed: 9, startTime: Self.start))
            func payment() -> PaymentEvent {
                PaymentEvent(
                    id: UUID(), type: .payment, occurredAt: .now(), account: "acc-000001", amount: 150, currency: .eur,
                    details: .init(merchant: "m-test-1", country: "FR", ip: "203.0.113.9", device: "d-1")
                )
            }
            let fraud = payment()
            let legitimate = payment()
            let unlabelled = payment()
            _ = try await generator.inject(fraud, label: try EventLabel(category: "fraud", name: "card_testing"))
            _ = try await generator.inject(legitimate, label: try EventLabel(category: "legitimate", name: "small_recurring_payments"))
            _ = try await generator.inject(unlabelled, label: nil)
            let run = try #require(await generator.status().run)

            let labels = try await base.database.query(
                "SELECT transaction_id, category, name, run_id FROM generator_ground_truth ORDER BY category"
            ).rows
            #expect(labels.count == 2)
            #expect(try labels.map { try $0.decode(0, as: UUID.self) } == [fraud.id, legitimate.id])
            #expect(try labels.map { try $0.decode(2, as: String.self) } == ["card_testing", "small_recurring_payments"])
            #expect(try labels.allSatisfy { try $0.decode(3, as: Int?.self) == run })

            // Anti-fraud alerts on all three (rows as its store writes them).
            for (index, event) in [fraud, legitimate, unlabelled].enumerated() {
                try await base.database.query(
                    """
                    INSERT INTO fraud_alerts (alert_id, event_id, account, rule, severity, reason, detected_at)
                    VALUES ($1, $2, 'acc-000001', 'card_testing', 'high', 'test', now())
                    """,
                    ["alert-\(index)", event.id]
                )
            }
            let report = try await FraudReport.load(from: base.database, run: run)
            #expect(report.fraudEvents == 1 && report.alertedFraudEvents == 1, "the labelled fraud is detected")
            #expect(report.alertedEvents == 3 && report.labelledAlertedEvents == 1)
            let cardTesting = try #require(report.scenarios.first { $0.scenario == "card_testing" })
            #expect(cardTesting.incidents == 1 && cardTesting.detectedIncidents == 1 && cardTesting.events == 1)

            #expect(throws: GeneratorControlError.self) { try EventLabel(category: "fraud", name: "payroll_day") }
            #expect(throws: GeneratorControlError.self) { try EventLabel(category: "inconsistency", name: "duplicate_event") }
        }
    }
}

extension Duration {
    /// Seconds as a Double, for rate × time.
    fileprivate var seconds: Double {
        Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18
    }
}
