import Foundation
import PayFlowDomain
import Testing
@testable import PayFlowGenerator

@Suite("Fraud scenarios")
struct FraudScenarioTests {
    /// A simulator after some normal traffic (so accounts have payments to
    /// refund), and that traffic.
    private func warmedUp(seed: UInt64 = 21) -> (TrafficSimulator, [SimulatedEvent]) {
        var simulator = TrafficSimulator(
            configuration: SimulationFixtures.configuration(accounts: 50), seed: seed, startTime: SimulationFixtures.start
        )
        let history = SimulationFixtures.run(&simulator, events: 1_000)
        return (simulator, history)
    }

    @Test(arguments: FraudPattern.allCases)
    func onDemandScenarioProducesItsPattern(_ scenario: FraudPattern) throws {
        for seed: UInt64 in 1...5 {
            var (simulator, history) = self.warmedUp(seed: seed)
            let events = try simulator.scenario(scenario, parameters: ScenarioParameters())
            try PatternCheck(scenario: scenario, events: events, history: history, simulator: simulator).verify()
            // Normal traffic resumes after the scenario, never before its last event.
            let after = simulator.next()
            #expect(after.allSatisfy { $0.event.occurredAt >= events.last!.event.occurredAt })
        }
    }

    @Test func onDemandScenarioUsesTheNamedAccountAndCount() throws {
        var (simulator, history) = self.warmedUp()
        let events = try simulator.scenario(.velocityBurst, parameters: ScenarioParameters(account: "acc-000007", count: 12))
        #expect(events.filter { !$0.labels.isEmpty }.count == 12)
        #expect(events.allSatisfy { $0.event.account == "acc-000007" })
        try PatternCheck(scenario: .velocityBurst, events: events, history: history, simulator: simulator).verify()

        let drain = try simulator.scenario(.topupDrain, parameters: ScenarioParameters(account: "acc-000008", count: 6))
        #expect(drain.filter { $0.event.type == .payment }.count == 6)
        history += events
        try PatternCheck(scenario: .topupDrain, events: drain, history: history, simulator: simulator).verify()
    }

    @Test func unknownAccountIsRefused() {
        var (simulator, _) = self.warmedUp()
        #expect(throws: GeneratorControlError.unknownAccount("acc-999999")) {
            try simulator.scenario(.amountSpike, parameters: ScenarioParameters(account: "acc-999999"))
        }
    }

    @Test(arguments: [
        (FraudPattern.velocityBurst, 7), (.velocityBurst, 16), (.cardTesting, 9), (.cardTesting, 21),
        (.amountSpike, 2), (.impossibleTravel, 3), (.blockedAccountActivity, 0), (.blockedAccountActivity, 4),
        (.refundAbuse, 5), (.topupDrain, 2), (.topupDrain, 7),
    ])
    func countOutOfRangeIsRefused(_ scenario: FraudPattern, _ count: Int) {
        var (simulator, _) = self.warmedUp()
        do {
            _ = try simulator.scenario(scenario, parameters: ScenarioParameters(account: "acc-000001", count: count))
            Issue.record("count \(count) accepted for \(scenario)")
        } catch {
            guard case .invalidParameter(let why) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(why.contains(scenario.scenarioName) && why.contains("\(count)"))
        }
    }

    @Test func aBlockedAccountOnlyRunsBlockedAccountActivity() throws {
        var (simulator, _) = self.warmedUp()
        _ = try simulator.scenario(.blockedAccountActivity, parameters: ScenarioParameters(account: "acc-000003"))
        #expect(throws: GeneratorControlError.self) {
            try simulator.scenario(.velocityBurst, parameters: ScenarioParameters(account: "acc-000003"))
        }
        let again = try simulator.scenario(.blockedAccountActivity, parameters: ScenarioParameters(account: "acc-000003", count: 2))
        #expect(!again.contains { $0.event.type == .accountBlocked })
        #expect(again.filter { $0.event.type == .payment }.count == 2)
    }

    @Test func fraudRateMixesEveryScenarioIntoTraffic() throws {
        var simulator = TrafficSimulator(
            configuration: SimulationFixtures.configuration(fraudRate: 0.05, accounts: 2_000), seed: 99, startTime: SimulationFixtures.start
        )
        var history: [SimulatedEvent] = []
        var seen: Set<FraudPattern> = []
        var lastTime = SimulationFixtures.start
        for _ in 0..<10_000 {
            let step = simulator.next()
            for simulated in step {
                #expect(simulated.event.occurredAt >= lastTime)
                lastTime = simulated.event.occurredAt
            }
            let scenarios = Set(step.flatMap(\.labels).compactMap { label -> FraudPattern? in
                if case .fraud(let scenario) = label.kind { return scenario }
                return nil
            })
            if let scenario = scenarios.first {
                #expect(scenarios.count == 1)
                seen.insert(scenario)
                try PatternCheck(scenario: scenario, events: step, history: history, simulator: simulator).verify()
            } else {
                #expect(step.count == 1)
            }
            history += step
        }
        #expect(seen == Set(FraudPattern.allCases))
    }
}

/// Checks one scenario run against the numbers its pattern promises.
private struct PatternCheck {
    var scenario: FraudPattern
    var events: [SimulatedEvent]
    var history: [SimulatedEvent]
    var simulator: TrafficSimulator

    func verify() throws {
        let fraud = self.events.filter { !$0.labels.isEmpty }
        let setUp = self.events.filter { $0.labels.isEmpty }
        try #require(!fraud.isEmpty)

        // One incident, one account, labels on the right transactions, ledger clean.
        let labels = fraud.map { $0.labels }
        #expect(labels.allSatisfy { $0.count == 1 })
        let incidents = Set(labels.compactMap { $0.first?.incidentID })
        #expect(incidents.count == 1)
        for simulated in fraud {
            #expect(simulated.labels.first?.kind == .fraud(self.scenario))
            #expect(simulated.labels.first?.transactionID == simulated.event.id)
            #expect(simulated.ledger == LedgerRecord(matching: simulated.event))
            #expect(simulated.emissions == 1)
        }
        #expect(Set(self.events.map(\.event.account)).count == 1)
        let times = self.events.map(\.event.occurredAt.microsecondsSinceEpoch)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        if let previous = self.history.last {
            #expect(self.events.first!.event.occurredAt >= previous.event.occurredAt)
        }
        // Set-up events: only a funding top-up, or the block of blocked_account_activity.
        for simulated in setUp {
            #expect(simulated.event.type == .topup || (self.scenario == .blockedAccountActivity && simulated.event.type == .accountBlocked))
        }

        let account = self.simulator.account(self.events[0].event.account)
        let payments = fraud.filter { $0.event.type == .payment }.map(\.event)
        let span = (payments.last?.occurredAt.microsecondsSinceEpoch ?? 0) - (payments.first?.occurredAt.microsecondsSinceEpoch ?? 0)
        switch self.scenario {
        case .velocityBurst:
            #expect(fraud.count == payments.count)
            #expect((8...15).contains(payments.count))
            #expect(span <= 60_000_000)
        case .cardTesting:
            #expect(fraud.count == payments.count)
            #expect((10...20).contains(payments.count))
            #expect(payments.allSatisfy { (50...199).contains($0.amount) })
            #expect(Set(payments.compactMap(\.details.merchant)).count >= 8)
            #expect(span <= 300_000_000)
        case .amountSpike:
            #expect(fraud.count == 1)
            #expect(payments.count == 1)
            #expect(payments[0].amount >= 500_000)
            #expect(payments[0].amount >= 20 * account.habitMedian)
        case .impossibleTravel:
            #expect(fraud.count == 2)
            #expect(payments.count == 2)
            #expect(payments[0].details.country == account.homeCountry)
            let home = Continent.of(payments[0].details.country!)
            let away = Continent.of(payments[1].details.country!)
            #expect(home != nil && away != nil && home != away)
            #expect(span <= 600_000_000)
        case .blockedAccountActivity:
            #expect(fraud.count == payments.count)
            #expect((1...3).contains(payments.count))
            let block = self.events.first { $0.event.type == .accountBlocked }
            let alreadyBlocked = self.history.last { $0.event.account == account.id && !$0.event.type.isTransaction }?.event.type == .accountBlocked
            if let block {
                #expect(block.labels.isEmpty)
                #expect(payments.allSatisfy { $0.occurredAt.microsecondsSinceEpoch - block.event.occurredAt.microsecondsSinceEpoch <= 600_000_000 })
                #expect(payments.allSatisfy { $0.occurredAt >= block.event.occurredAt })
            } else {
                #expect(alreadyBlocked)
            }
            #expect(account.isBlocked)
        case .refundAbuse:
            #expect(fraud.count == 1)
            let refund = fraud[0].event
            #expect(refund.type == .refund)
            let original = refund.details.originalPaymentID!
            let payment = self.history.first { $0.event.id == original && $0.event.type == .payment }
            if let payment {
                let refunded = self.history.filter { $0.event.type == .refund && $0.event.details.originalPaymentID == original }
                    .map(\.event.amount).reduce(0, +)
                #expect(payment.event.account == refund.account)
                #expect(refund.amount > payment.event.amount - refunded)
            }
        case .topupDrain:
            let topups = fraud.filter { $0.event.type == .topup }.map(\.event)
            #expect(topups.count == 1)
            #expect(fraud.count == payments.count + 1)
            #expect((3...6).contains(payments.count))
            let topup = try #require(topups.first)
            #expect(topup.amount >= 100_000)
            let spent = payments.map(\.amount).reduce(0, +)
            #expect(spent * 10 >= topup.amount * 9)
            #expect(spent <= topup.amount)
            #expect(payments.allSatisfy {
                $0.occurredAt > topup.occurredAt && $0.occurredAt.microsecondsSinceEpoch - topup.occurredAt.microsecondsSinceEpoch <= 600_000_000
            })
        }
        #expect(account.balance >= 0)
    }
}
