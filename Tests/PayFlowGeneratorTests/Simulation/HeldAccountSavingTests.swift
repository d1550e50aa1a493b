import Foundation
import PayFlowDomain
import Testing
@testable import PayFlowGenerator

/// A batch saves the accounts of its events and only those accounts held by
/// scheduled episodes that changed since they were last saved
/// (``TrafficSimulator/accountsToSave(of:)``): a world saved that way, batch
/// after batch, restores into a simulator that continues exactly as one that
/// never stopped, wherever it stops.
@Suite("Simulation: saving held accounts only when they changed")
struct HeldAccountSavingTests {
    static let start = EventTimestamp(rfc3339: "2026-11-02T08:00:00Z")!

    @Test(arguments: [UInt64(7), 21])
    func aWorldSavedOnlyWhereItChangedRestoresAsOneThatNeverStopped(seed: UInt64) throws {
        let configuration = GeneratorConfiguration(
            eventsPerSecond: nil, totalEvents: nil, accounts: 200, fraudRate: 0.02, inconsistencyRate: 0.02,
            seed: seed, startTime: Self.start, profile: .realistic
        )
        var running = TrafficSimulator(configuration: configuration, seed: seed, startTime: Self.start)
        // What generator_world_accounts and generator_worlds.simulation would hold.
        var table: [Int: String] = [:]
        var simulation = ""
        var heldNotSaved = 0
        var restoresWithEpisodesInFlight = 0
        for batchNumber in 1...60 {
            let batch = SimulationFixtures.run(&running, events: 50)
            let saving = running.accountsToSave(of: batch)
            for (index, state) in try running.accountStates(at: saving) {
                table[index] = state
            }
            simulation = try running.snapshot().encoded()
            let held = Set(running.pending.compactMap { running.population.index(of: $0.event.account) })
            heldNotSaved += held.subtracting(saving).count
            // What the table holds is the world: every saved account as it is now.
            for (index, state) in table {
                let saved = try JSONDecoder().decode(Account.self, from: Data(state.utf8))
                #expect(saved == running.population.accounts[index], "account \(index) after batch \(batchNumber)")
            }

            guard batchNumber % 6 == 0 else { continue }
            if !running.pending.isEmpty { restoresWithEpisodesInFlight += 1 }
            var uninterrupted = running
            var restored = TrafficSimulator(configuration: configuration, seed: seed, startTime: Self.start)
            try restored.restore(SimulationSnapshot.decoded(simulation), accounts: table)
            let expected = SimulationFixtures.run(&uninterrupted, events: 1_500)
            let continued = SimulationFixtures.run(&restored, events: 1_500)
            let firstDifference = zip(expected, continued).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(firstDifference == nil && expected.count == continued.count,
                    "restored after batch \(batchNumber), diverges at event \(firstDifference ?? min(expected.count, continued.count))")
        }
        // The run exercised what is new: held accounts left unsaved, and stops with episodes in flight.
        #expect(heldNotSaved > 0)
        #expect(restoresWithEpisodesInFlight > 0)
    }

    @Test func aHeldAccountIsSavedWhenItChangedAndOnlyThen() throws {
        let configuration = GeneratorConfiguration(
            eventsPerSecond: nil, totalEvents: nil, accounts: 200, fraudRate: 0, inconsistencyRate: 0,
            seed: 3, startTime: Self.start, profile: .realistic
        )
        var simulator = TrafficSimulator(configuration: configuration, seed: 3, startTime: Self.start)
        var steps = 0
        while simulator.pending.isEmpty {
            _ = simulator.next()
            steps += 1
            try #require(steps < 50_000, "no episode in flight after 50,000 steps")
        }
        let held = Set(simulator.pending.compactMap { simulator.population.index(of: $0.event.account) })
        let account = try #require(held.first)
        // A simulator that has saved nothing yet saves every held account.
        #expect(Set(simulator.accountsToSave(of: [])) == held)
        #expect(simulator.accountsToSave(of: []).isEmpty)
        // A change without an event of the account is saved all the same, once.
        simulator.population.accounts[account].balance += 1
        #expect(simulator.accountsToSave(of: []) == [account])
        #expect(simulator.accountsToSave(of: []).isEmpty)
        // After a checkpoint was dropped, every held account is saved again.
        simulator.forgetSavedAccounts()
        #expect(Set(simulator.accountsToSave(of: [])) == held)
    }
}
