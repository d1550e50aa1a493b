import PayFlowDomain
import Testing
@testable import PayFlowGenerator

@Suite("Traffic simulation determinism")
struct DeterminismTests {
    private let configuration = SimulationFixtures.configuration(fraudRate: 0.01, inconsistencyRate: 0.01)

    @Test func sameSeedGivesTheSameEventsIdsIncluded() {
        var first = TrafficSimulator(configuration: self.configuration, seed: 7, startTime: SimulationFixtures.start)
        var second = TrafficSimulator(configuration: self.configuration, seed: 7, startTime: SimulationFixtures.start)
        let a = SimulationFixtures.run(&first, events: 20_000)
        let b = SimulationFixtures.run(&second, events: 20_000)
        #expect(a.count == b.count)
        #expect(a == b)
    }

    @Test func differentSeedGivesDifferentEvents() {
        var first = TrafficSimulator(configuration: self.configuration, seed: 7, startTime: SimulationFixtures.start)
        var second = TrafficSimulator(configuration: self.configuration, seed: 8, startTime: SimulationFixtures.start)
        let a = SimulationFixtures.run(&first, events: 1_000)
        let b = SimulationFixtures.run(&second, events: 1_000)
        #expect(a.map(\.event.id) != b.map(\.event.id))
        #expect(a.map(\.event.amount) != b.map(\.event.amount))
    }

    /// Version 7: the event's time in the first 48 bits, so the ids of a
    /// run grow with time as the tables keyed by them are written.
    @Test func eventIDsAreVersion7UUIDsOfTheirTimeAndUnique() {
        var simulator = TrafficSimulator(configuration: self.configuration, seed: 3, startTime: SimulationFixtures.start)
        let events = SimulationFixtures.run(&simulator, events: 5_000)
        let ids = events.map(\.event.id)
        #expect(Set(ids).count == ids.count)
        for simulated in events.prefix(500) {
            let text = simulated.event.id.uuidString.lowercased()
            #expect(Array(text)[14] == "7")
            #expect("89ab".contains(Array(text)[19]))
            let bytes = simulated.event.id.uuid
            let milliseconds = [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            #expect(milliseconds == simulated.event.occurredAt.microsecondsSinceEpoch / 1000)
        }
    }

    @Test func everyEventSurvivesStrictDecoding() throws {
        var simulator = TrafficSimulator(
            configuration: SimulationFixtures.configuration(fraudRate: 0.05, inconsistencyRate: 0.05),
            seed: 11, startTime: SimulationFixtures.start
        )
        for simulated in SimulationFixtures.run(&simulator, events: 10_000) {
            let decoded = try PaymentEvent(fields: simulated.event.fields)
            #expect(decoded == simulated.event)
        }
    }

    @Test func knowsItsAccounts() {
        let simulator = TrafficSimulator(configuration: SimulationFixtures.configuration(accounts: 10), seed: 1, startTime: SimulationFixtures.start)
        #expect(simulator.hasAccount("acc-000001"))
        #expect(simulator.hasAccount("acc-000010"))
        #expect(!simulator.hasAccount("acc-000011"))
        #expect(!simulator.hasAccount("acc-000000"))
        #expect(!simulator.hasAccount("acc-1"))
        #expect(!simulator.hasAccount("acc-0000001"))
        #expect(!simulator.hasAccount("nobody"))
    }
}
