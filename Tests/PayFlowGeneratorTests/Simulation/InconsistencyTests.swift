import PayFlowDomain
import Testing
@testable import PayFlowGenerator

@Suite("Injected inconsistencies")
struct InconsistencyTests {
    @Test func everyTransactionGetsOneLabelledInconsistencyAtRateOne() throws {
        var simulator = TrafficSimulator(
            configuration: SimulationFixtures.configuration(inconsistencyRate: 1, accounts: 1_000), seed: 17, startTime: SimulationFixtures.start
        )
        var seen: [MismatchKind: Int] = [:]
        for simulated in SimulationFixtures.run(&simulator, events: 5_000) {
            let event = simulated.event
            guard event.type.isTransaction else {
                #expect(simulated.labels.isEmpty)
                #expect(simulated.ledger == nil)
                #expect(simulated.emissions == 1)
                continue
            }
            try #require(simulated.labels.count == 1)
            let label = simulated.labels[0]
            #expect(label.transactionID == event.id)
            #expect(label.incidentID == nil)
            #expect(label.category == "inconsistency")
            guard case .inconsistency(let kind) = label.kind else {
                Issue.record("not an inconsistency: \(label)")
                continue
            }
            seen[kind, default: 0] += 1
            let matching = LedgerRecord(matching: event)
            switch kind {
            case .amountMismatch:
                let ledger = try #require(simulated.ledger)
                #expect(ledger.amount != event.amount)
                #expect(ledger.amount >= 1)
                var restored = ledger
                restored.amount = event.amount
                #expect(restored == matching)
                #expect(simulated.emissions == 1)
            case .currencyMismatch:
                let ledger = try #require(simulated.ledger)
                #expect(ledger.currency != event.currency)
                var restored = ledger
                restored.currency = event.currency
                #expect(restored == matching)
                #expect(simulated.emissions == 1)
            case .missingInReference:
                #expect(simulated.ledger == nil)
                #expect(simulated.emissions == 1)
            case .missingInStream:
                #expect(simulated.ledger == matching)
                #expect(simulated.emissions == 0)
            case .duplicateEvent:
                #expect(simulated.ledger == matching)
                #expect(simulated.emissions == 2)
            case .accountMismatch:
                Issue.record("account_mismatch is never injected: \(label)")
            }
        }
        for kind in MismatchKind.injected {
            #expect((seen[kind] ?? 0) > 500, "\(kind) injected \(seen[kind] ?? 0) times")
        }
    }

    @Test func fraudEventsStayCleanInTheLedger() throws {
        var simulator = TrafficSimulator(
            configuration: SimulationFixtures.configuration(fraudRate: 0.2, inconsistencyRate: 1, accounts: 1_000), seed: 18, startTime: SimulationFixtures.start
        )
        for simulated in SimulationFixtures.run(&simulator, events: 3_000) where simulated.labels.contains(where: { $0.category == "fraud" }) {
            #expect(simulated.labels.count == 1)
            #expect(simulated.ledger == LedgerRecord(matching: simulated.event))
            #expect(simulated.emissions == 1)
        }
    }

    @Test func aSingleConfiguredCurrencyStillMismatches() throws {
        var simulator = TrafficSimulator(
            configuration: GeneratorConfiguration(accounts: 100, fraudRate: 0, inconsistencyRate: 1, currencies: [.chf]),
            seed: 19, startTime: SimulationFixtures.start
        )
        let mismatches = SimulationFixtures.run(&simulator, events: 2_000).filter {
            $0.labels.first?.kind == .inconsistency(.currencyMismatch)
        }
        #expect(!mismatches.isEmpty)
        #expect(mismatches.allSatisfy { $0.ledger.map { $0.currency != .chf } ?? false })
    }
}
