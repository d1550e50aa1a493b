import Foundation
import Logging
import PayFlowAntiFraud
import PayFlowDomain
import PayFlowGenerator
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowScoring
import PayFlowTestSupport
import ServiceLifecycle
import Testing

/// At-least-once delivery: redeliveries and replicas change nothing, and the
/// report scores a seeded run. The tests that use the fixed stream names
/// each take a Redis database of their own (1, 2, 3).
@Suite("Anti-fraud delivery and scoring")
struct DeliveryTests {
    private static func fraudulentTraffic(seed: UInt64, count: Int, accounts: Int = 300, fraudRate: Double = 0.02) -> [SimulatedEvent] {
        var simulator = Traffic.simulator(seed: seed, accounts: accounts, fraudRate: fraudRate)
        return Traffic.steps(&simulator, count: count)
    }

    @Test(arguments: RedisPlacement.allCases) func redeliveringABatchAddsNoRowAndNoStreamEntry(on placement: RedisPlacement) async throws {
        try await AntiFraudFixture.with(on: placement) { fixture in
            let events = Self.fraudulentTraffic(seed: 31, count: 1_500).map(\.event)
            try await fixture.handle(events)
            let rows = try await fixture.alertRows()
            let published = try await fixture.streamAlertIDs()
            #expect(!rows.isEmpty)
            #expect(rows.values.allSatisfy { $0.published })
            #expect(Set(published) == Set(rows.keys))
            #expect(published.count == rows.count)

            // The same entries again, in other batch sizes, and every event twice.
            try await fixture.handle(events, batchSize: 97)
            try await fixture.handle(events.flatMap { [$0, $0] }, batchSize: 500)
            #expect(try await fixture.alertRows().keys.sorted() == rows.keys.sorted())
            #expect(try await fixture.streamAlertIDs() == published)
        }
    }

    @Test func twoReplicasRaiseTheSameAlertsAsOne() async throws {
        let traffic = Self.fraudulentTraffic(seed: 32, count: 3_000, accounts: 150, fraudRate: 0.03)
        // One handler, in order, in its own key space: the reference.
        let reference = try await AntiFraudFixture.with { fixture in
            try await fixture.handle(traffic.map(\.event))
            return Set(try await fixture.alertRows().keys)
        }
        #expect(!reference.isEmpty)

        let replicated = try await AntiFraudFixture.with(redisDatabase: .antiFraudTwoReplicas) { fixture in
            try await Self.appendToStream(traffic, redis: fixture.redis)
            // Two processes as `payflow anti-fraud` builds them, reading in small batches.
            var replicas: [PayFlowApplication] = []
            for replica in 1...2 {
                replicas.append(try await Self.antiFraudProcess(fixture, consumer: "replica-\(replica)", batchSize: 50))
            }
            let consumers = replicas.flatMap(\.workers).compactMap { $0 as? ConsumerGroupService<AntiFraudHandler> }
            #expect(consumers.count == 2)
            try await withApplicationsRunning(replicas) {
                try await eventually("both replicas processed every entry", timeout: .seconds(120)) {
                    consumers.map(\.counters.snapshot.acked).reduce(0, +) >= traffic.map(\.emissions).reduce(0, +)
                }
            }
            #expect(consumers.allSatisfy { $0.counters.snapshot.acked > 0 }, "one replica did all the work")
            // The group has processed everything: what the settle service does next.
            let watermark = try await ConsumptionWatermark.read(redis: fixture.redis, stream: StreamNames.events, group: AntiFraudService.group.name)
            #expect(watermark == .caughtUp)
            try await fixture.settler.settle(through: watermark)
            #expect(try await fixture.handler.provisional.count() == 0)
            return Set(try await fixture.alertRows().keys)
        }
        #expect(reference.subtracting(replicated).sorted() == [], "only with one handler")
        #expect(replicated.subtracting(reference).sorted() == [], "only with two replicas")
    }

    /// The two verdicts that depend on an event's absence, with the events in
    /// the order a slow replica can produce: each is provisional until settled,
    /// and settling after the late event raises nothing.
    @Test(arguments: RedisPlacement.allCases) func lateEventsOverturnProvisionalVerdictsBeforeTheyBecomeAlerts(on placement: RedisPlacement) async throws {
        try await AntiFraudFixture.with(on: placement) { fixture in
            let account = "acc-late"
            let t0 = Traffic.start
            let blocked = PaymentEvent(id: UUID(), type: .accountBlocked, occurredAt: t0, account: account, amount: 0, currency: .eur, details: .init(reason: "kyc"))
            let unblocked = PaymentEvent(id: UUID(), type: .accountUnblocked, occurredAt: t0.adding(microseconds: 60_000_000), account: account, amount: 0, currency: .eur, details: .init(reason: "kyc done"))
            let payment = PaymentEvent(
                id: UUID(), type: .payment, occurredAt: t0.adding(microseconds: 120_000_000), account: account, amount: 5_000, currency: .eur,
                details: .init(merchant: "m-1", country: "DE", ip: "10.0.0.1", device: "d-1")
            )
            let refund = PaymentEvent(
                id: UUID(), type: .refund, occurredAt: t0.adding(microseconds: 180_000_000), account: account, amount: 1_000, currency: .eur,
                details: .init(merchant: "m-1", originalPaymentID: payment.id)
            )
            // The refund, then the block and the payment, before the unblock: both
            // verdicts look true at first.
            try await fixture.handle([refund], settle: false)
            try await fixture.handle([blocked, payment], settle: false)
            #expect(try await fixture.alertRows().isEmpty, "provisional verdicts are not alerts")
            #expect(try await fixture.handler.provisional.count() == 2)
            try await fixture.handle([unblocked], settle: false)
            #expect(try await fixture.settle() == (settled: 2, alerted: 0))
            #expect(try await fixture.alertRows().isEmpty)

            // Without the late events, the same verdicts hold and become alerts.
            let other = "acc-never"
            var lonelyRefund = refund
            lonelyRefund.id = UUID()
            lonelyRefund.account = other
            var blockedOther = blocked
            blockedOther.id = UUID()
            blockedOther.account = other
            var paymentOther = payment
            paymentOther.id = UUID()
            paymentOther.account = other
            try await fixture.handle([lonelyRefund, blockedOther, paymentOther])
            #expect(Set(try await fixture.alertRows().values.map(\.rule)) == ["refund_abuse", "blocked_account_activity"])
        }
    }

    @Test func aSeededRunScoresAboveTheTargets() async throws {
        let traffic = Self.fraudulentTraffic(seed: 33, count: 8_000, accounts: 400, fraudRate: 0.02)
        try await AntiFraudFixture.with(redisDatabase: .antiFraudSeededScoring) { fixture in
            try await fixture.insertLabels(traffic)
            try await Self.appendToStream(traffic, redis: fixture.redis)
            let process = try await Self.antiFraudProcess(fixture, consumer: "scorer")
            let consumer = try #require(process.workers.compactMap { $0 as? ConsumerGroupService<AntiFraudHandler> }.first)
            try await withApplicationsRunning([process]) {
                try await eventually("every entry processed", timeout: .seconds(120)) {
                    consumer.counters.snapshot.acked >= traffic.map(\.emissions).reduce(0, +)
                }
            }
            try await fixture.settle()
            let report = try await FraudReport.load(from: fixture.database)
            print(report.rendered)
            #expect(report.incidents > 20)
            #expect(try #require(report.precision) >= 0.9)
            #expect(try #require(report.incidentRecall) >= 0.95)
            #expect(report.scenarios.count == FraudPattern.allCases.count)
        }
    }

    // MARK: - Helpers

    /// One `payflow anti-fraud` process, built as the command builds it, on
    /// the fixture's servers (the real stream and key names).
    static func antiFraudProcess(_ fixture: AntiFraudFixture, consumer: String, batchSize: Int = 256) async throws -> PayFlowApplication {
        let environment = Environment([
            "REDIS_URL": ServiceRole.antiFraud.redisURL(from: fixture.redisURL), "DATABASE_URL": ServiceRole.antiFraud.databaseURL(from: fixture.databaseURL), "CONSUMER_NAME": consumer,
            "STREAM_BATCH_SIZE": "\(batchSize)", "STREAM_BLOCK_MS": "100",
        ])
        return try await AntiFraudService.make(ProcessContext(environment: environment, logger: .quiet("test.anti-fraud")))
    }

    /// XADDs every emission (a duplicate_event twice), as the generator does.
    static func appendToStream(_ traffic: [SimulatedEvent], redis: RedisConnection) async throws {
        var commands: [RedisCommand] = []
        for simulated in traffic {
            for _ in 0..<simulated.emissions {
                var add = RedisCommand("XADD", StreamNames.events, "*")
                for field in simulated.event.fields {
                    add.append(field.name)
                    add.append(field.value)
                }
                commands.append(add)
            }
        }
        for reply in try await redis.pipeline(commands) { try reply.orThrow() }
    }
}

