import Foundation
import PayFlowAntiFraud
import PayFlowDomain
import PayFlowGenerator
import PayFlowTestSupport
import Testing

/// Each rule fires on the generator's pattern for it, and nothing fires on
/// clean traffic. Real Redis and PostgreSQL; unique key names in database 0;
/// the scenario cases also on the test cluster (state over three masters).
@Suite("Anti-fraud rules")
struct RuleTests {
    /// Clean traffic first (so accounts have history), then the scenario.
    private func run(_ scenario: FraudPattern, count: Int? = nil, seed: UInt64, on placement: RedisPlacement) async throws {
        try await AntiFraudFixture.with(on: placement) { fixture in
            var simulator = Traffic.simulator(seed: seed)
            let warmUp = Traffic.steps(&simulator, count: 1_500)
            let pattern = try simulator.scenario(scenario, parameters: ScenarioParameters(count: count))
            try await fixture.handle((warmUp + pattern).map(\.event))

            let labelled = Set(pattern.filter { !$0.labels.isEmpty }.map(\.event.id))
            let rows = try await fixture.alertRows().values
            let byRule = rows.filter { FraudPattern(ruleName: $0.rule)?.scenarioName == scenario.scenarioName }
            #expect(!byRule.isEmpty, "\(scenario.scenarioName) raised no alert")
            #expect(byRule.allSatisfy { labelled.contains($0.event) }, "an alert landed on an unlabelled event")
            #expect(rows.allSatisfy { labelled.contains($0.event) }, "clean warm-up traffic raised an alert")
        }
    }

    @Test(arguments: RedisPlacement.allCases) func velocityFiresOnABurst(on placement: RedisPlacement) async throws {
        try await self.run(.velocityBurst, count: 8, seed: 11, on: placement)
    }

    @Test(arguments: RedisPlacement.allCases) func cardTestingFiresOnSmallPaymentsAtManyMerchants(on placement: RedisPlacement) async throws {
        try await self.run(.cardTesting, count: 10, seed: 12, on: placement)
    }

    @Test(arguments: RedisPlacement.allCases) func amountSpikeFiresOnAHugePayment(on placement: RedisPlacement) async throws {
        try await self.run(.amountSpike, seed: 13, on: placement)
    }

    @Test(arguments: RedisPlacement.allCases) func impossibleTravelFiresOnTheLaterPaymentOfThePair(on placement: RedisPlacement) async throws {
        try await AntiFraudFixture.with(on: placement) { fixture in
            var simulator = Traffic.simulator(seed: 14)
            let warmUp = Traffic.steps(&simulator, count: 500)
            let pattern = try simulator.scenario(.impossibleTravel, parameters: ScenarioParameters())
            try await fixture.handle((warmUp + pattern).map(\.event))
            let alerted = Set(try await fixture.alertRows().values.filter { $0.rule == "impossible_travel" }.map(\.event))
            #expect(alerted == [try #require(pattern.last).event.id])
        }
    }

    @Test(arguments: RedisPlacement.allCases) func blockedAccountActivityFiresOnPaymentsAfterABlock(on placement: RedisPlacement) async throws {
        try await self.run(.blockedAccountActivity, count: 2, seed: 15, on: placement)
    }

    @Test(arguments: RedisPlacement.allCases) func refundAbuseFiresOnRefundsAboveThePaymentOrOfUnknownPayments(on placement: RedisPlacement) async throws {
        for seed in UInt64(16)...UInt64(19) {
            try await self.run(.refundAbuse, seed: seed, on: placement)
        }
    }

    @Test(arguments: RedisPlacement.allCases) func topupDrainFiresWhenALargeTopupIsSpentWithinMinutes(on placement: RedisPlacement) async throws {
        try await self.run(.topupDrain, count: 4, seed: 20, on: placement)
    }

    @Test func anUnblockReleasesTheAccount() async throws {
        try await AntiFraudFixture.with { fixture in
            let start = Traffic.start
            func event(_ type: EventType, seconds: Int64, amount: Int64 = 0, details: PaymentEvent.Details) -> PaymentEvent {
                PaymentEvent(id: UUID(), type: type, occurredAt: start.adding(microseconds: seconds * 1_000_000), account: "acc-x", amount: amount, currency: .eur, details: details)
            }
            let pay = PaymentEvent.Details(merchant: "m-0001", country: "DE", ip: "11.0.0.1", device: "dev-1")
            let blocked = event(.payment, seconds: 120, amount: 1_000, details: pay)
            let released = event(.payment, seconds: 4_000, amount: 1_000, details: pay)
            try await fixture.handle([
                event(.accountBlocked, seconds: 60, details: .init(reason: "review")),
                blocked,
                event(.accountUnblocked, seconds: 3_600, details: .init(reason: "cleared")),
                released,
            ])
            let rows = try await fixture.alertRows().values
            #expect(rows.map(\.event) == [blocked.id])
        }
    }

    @Test func aBlockedGraceLetsPaymentsInFlightPass() async throws {
        try await AntiFraudFixture.with { fixture in
            var fixture = fixture
            fixture.configuration.blockedGraceMicroseconds = 30_000_000
            let start = Traffic.start
            func event(_ type: EventType, seconds: Int64, amount: Int64 = 0, details: PaymentEvent.Details) -> PaymentEvent {
                PaymentEvent(id: UUID(), type: type, occurredAt: start.adding(microseconds: seconds * 1_000_000), account: "acc-grace", amount: amount, currency: .eur, details: details)
            }
            let pay = PaymentEvent.Details(merchant: "m-0001", country: "DE", ip: "11.0.0.1", device: "dev-1")
            let inFlight = event(.payment, seconds: 70, amount: 1_000, details: pay)
            let after = event(.payment, seconds: 95, amount: 1_000, details: pay)
            // Out of order: the verdicts depend on the events' times, not on arrival.
            try await fixture.handle([after, inFlight, event(.accountBlocked, seconds: 60, details: .init(reason: "review"))])
            #expect(try await fixture.alertRows().values.map(\.event) == [after.id])
        }
    }

    @Test func anUnknownRefundMinimumLetsSmallReturnsPass() async throws {
        try await AntiFraudFixture.with { fixture in
            var fixture = fixture
            fixture.configuration.refundUnknownPaymentMinAmount = 5_000
            func refund(_ amount: Int64, seconds: Int64) -> PaymentEvent {
                PaymentEvent(
                    id: UUID(), type: .refund, occurredAt: Traffic.start.adding(microseconds: seconds * 1_000_000), account: "acc-returns",
                    amount: amount, currency: .eur, details: .init(merchant: "m-0002", originalPaymentID: UUID())
                )
            }
            let small = refund(4_999, seconds: 10)
            let large = refund(5_000, seconds: 20)
            try await fixture.handle([small, large])
            #expect(try await fixture.alertRows().values.map(\.event) == [large.id])
        }
    }

    @Test(arguments: RedisPlacement.allCases) func cleanTrafficRaisesNoAlert(on placement: RedisPlacement) async throws {
        try await AntiFraudFixture.with(on: placement) { fixture in
            var simulator = Traffic.simulator(seed: 21, accounts: 200)
            let events = Traffic.steps(&simulator, count: 4_000)
            try await fixture.handle(events.map(\.event))
            let rows = try await fixture.alertRows()
            #expect(rows.isEmpty, "alerts on clean traffic: \(rows.values.map(\.rule))")
        }
    }
}
