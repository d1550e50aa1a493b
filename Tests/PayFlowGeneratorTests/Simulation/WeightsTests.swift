import Foundation
import PayFlowDomain
import Testing
@testable import PayFlowGenerator

/// `fraud_weights` and `inconsistency_weights`: a weight of 0 is never
/// drawn, the others in proportion, and a live change continues the same
/// world and random sequence.
@Suite("Scenario and inconsistency weights")
struct WeightsTests {
    /// Incidents per scenario and labels per inconsistency kind in `events`.
    private static func counts(_ events: [SimulatedEvent]) -> (scenarios: [FraudPattern: Int], kinds: [MismatchKind: Int]) {
        var incidents: [FraudPattern: Set<UUID>] = [:]
        var kinds: [MismatchKind: Int] = [:]
        for label in events.flatMap(\.labels) {
            switch label.kind {
            case .fraud(let pattern): incidents[pattern, default: []].insert(label.incidentID!)
            case .inconsistency(let kind): kinds[kind, default: 0] += 1
            default: break
            }
        }
        return (incidents.mapValues(\.count), kinds)
    }

    private static func run(_ configuration: GeneratorConfiguration, events: Int = 40_000, seed: UInt64 = 5) -> [SimulatedEvent] {
        var simulator = TrafficSimulator(configuration: configuration, seed: seed, startTime: SimulationFixtures.start)
        return SimulationFixtures.run(&simulator, events: events)
    }

    @Test func aScenarioOfWeightZeroIsNeverPickedAndTheOthersAsWeighted() {
        var configuration = SimulationFixtures.configuration(fraudRate: 0.05, accounts: 2_000)
        configuration.fraudWeights = [.amountSpike: 3, .refundAbuse: 1, .cardTesting: 0]
        let (scenarios, _) = Self.counts(Self.run(configuration))
        #expect(Set(scenarios.keys) == [.amountSpike, .refundAbuse], "only the weighted scenarios: \(scenarios)")
        let spikes = Double(scenarios[.amountSpike] ?? 0)
        let abuses = Double(scenarios[.refundAbuse] ?? 0)
        #expect(spikes + abuses > 500, "enough incidents to judge proportions: \(scenarios)")
        let share = spikes / (spikes + abuses)
        #expect(abs(share - 0.75) < 0.06, "amount_spike's share \(share), weighted 3 of 4")
    }

    @Test func anInconsistencyKindOfWeightZeroIsNeverInjectedAndTheOthersAsWeighted() {
        var configuration = SimulationFixtures.configuration(inconsistencyRate: 0.05, accounts: 2_000)
        configuration.inconsistencyWeights = [.duplicateEvent: 1, .amountMismatch: 1, .missingInStream: 0]
        let (_, kinds) = Self.counts(Self.run(configuration))
        #expect(Set(kinds.keys) == [.duplicateEvent, .amountMismatch], "only the weighted kinds: \(kinds)")
        let duplicates = Double(kinds[.duplicateEvent] ?? 0)
        let amounts = Double(kinds[.amountMismatch] ?? 0)
        #expect(duplicates + amounts > 800)
        #expect(abs(duplicates / (duplicates + amounts) - 0.5) < 0.06)
    }

    @Test func withoutWeightsEveryScenarioAndKindAppears() {
        let (scenarios, kinds) = Self.counts(Self.run(SimulationFixtures.configuration(fraudRate: 0.05, inconsistencyRate: 0.05, accounts: 2_000)))
        #expect(Set(scenarios.keys) == Set(FraudPattern.allCases))
        #expect(Set(kinds.keys) == Set(MismatchKind.injected))
    }

    @Test func unknownOrEmptyWeightsAreRefused() {
        func refusal(_ configuration: GeneratorConfiguration) -> GeneratorConfigurationError? {
            do {
                try configuration.validate()
                return nil
            } catch {
                return error
            }
        }
        #expect(refusal(GeneratorConfiguration(fraudWeights: [.cardTesting: 0]))?.field == "fraud_weights")
        #expect(refusal(GeneratorConfiguration(fraudWeights: [.cardTesting: -1, .amountSpike: 1]))?.field == "fraud_weights.card_testing")
        #expect(refusal(GeneratorConfiguration(fraudWeights: [.cardTesting: .infinity]))?.reason == .doesNotFit)
        #expect(refusal(GeneratorConfiguration(inconsistencyWeights: [:]))?.field == "inconsistency_weights")
        let accountMismatch = refusal(GeneratorConfiguration(inconsistencyWeights: [.accountMismatch: 1]))
        #expect(accountMismatch?.field == "inconsistency_weights")
        #expect(accountMismatch?.problem.contains("account_mismatch") == true)
        #expect(refusal(GeneratorConfiguration(fraudWeights: [.cardTesting: 1], inconsistencyWeights: [.duplicateEvent: 2])) == nil)
    }

    /// A live change mid-run continues the same world: the steps before it
    /// are the unchanged run's, and a replay that switches at the recorded
    /// step gives the same events as the run that switched.
    @Test func aLiveChangeReplaysFromTheStepItWasMadeAt() {
        let before = SimulationFixtures.configuration(fraudRate: 0.02, inconsistencyRate: 0.02, accounts: 2_000)
        var after = before
        after.mix = [.payment: 1, .topup: 1]
        after.fraudWeights = [.velocityBurst: 1]

        var live = TrafficSimulator(configuration: before, seed: 9, startTime: SimulationFixtures.start)
        var unchanged = live
        var first: [SimulatedEvent] = []
        for _ in 0..<3_000 { first += live.next() }
        var reference: [SimulatedEvent] = []
        for _ in 0..<3_000 { reference += unchanged.next() }
        #expect(first == reference)
        live.reconfigure(after)
        var second: [SimulatedEvent] = []
        for _ in 0..<3_000 { second += live.next() }
        #expect(second.allSatisfy { $0.event.type == .payment || $0.event.type == .topup || !$0.labels.isEmpty })
        #expect(second.map(\.event.occurredAt).first! >= first.map(\.event.occurredAt).last!)

        // The replay: the same seed, the first configuration for 3000 steps, then the second.
        var replay = TrafficSimulator(configuration: before, seed: 9, startTime: SimulationFixtures.start)
        var replayed: [SimulatedEvent] = []
        for _ in 0..<3_000 { replayed += replay.next() }
        replay.reconfigure(after)
        for _ in 0..<3_000 { replayed += replay.next() }
        #expect(replayed == first + second)
    }
}
