import Foundation
import PayFlowDomain

/// The simulation's state as data, so a generator process can stop (or be
/// killed) and the next one continue the same world: the business clock
/// resumes after the last event emitted, and every account keeps its
/// balance, block, recent activity and refundable payments.
///
/// The account *profiles* (home country, habit, merchants, device) are not
/// saved: they follow from the seed, population size and currencies, so a
/// restore rebuilds them with ``TrafficSimulator/init(configuration:seed:startTime:accountPrefix:)``
/// and lays the saved state over them. What is saved is what changes: the
/// random generator's position, the clock, the order of blocked accounts,
/// the realistic episodes' events not yet due, and the accounts a batch
/// touched or an episode still holds (each one's whole record, written by
/// `Account+CheckpointJSON.swift`; `CheckpointJSONTests` fails when a stored
/// property of ``Account`` is not written there).
public struct SimulationSnapshot: Sendable, Codable {
    var random: SeededRandom
    var clock: BusinessClock
    var blocked: [Int]
    /// Realistic episodes' events scheduled but not yet due
    /// (``TrafficSimulator/pending``); empty in the clean profile.
    var pending: [SimulatedEvent]

    /// The JSON kept in `generator_worlds.simulation`, written by
    /// ``CheckpointJSON`` (`SimulationSnapshot+CheckpointJSON.swift`) and
    /// read by `JSONDecoder`.
    public func encoded() throws -> String {
        var json = CheckpointJSON(capacity: 256 + 640 * self.pending.count)
        try self.write(to: &json)
        return json.text
    }

    public static func decoded(_ text: String) throws -> SimulationSnapshot {
        try JSONDecoder().decode(SimulationSnapshot.self, from: Data(text.utf8))
    }
}

extension TrafficSimulator {
    /// The simulation after everything returned so far.
    public func snapshot() -> SimulationSnapshot {
        SimulationSnapshot(random: self.random, clock: self.clock, blocked: self.population.blocked, pending: self.pending)
    }

    /// The saved state of the accounts these events are about, as JSON by
    /// account index: what a batch must save with its ledger rows. Every
    /// change the simulation makes to an account comes with an event of that
    /// account (``TrafficSimulator+Events``), so the events name every
    /// account a batch changed.
    public func accountStates(of events: [SimulatedEvent]) throws -> [(index: Int, state: String)] {
        var indices: [Int] = []
        var seen = Set<Int>()
        // An episode changes its accounts when it is scheduled, before its
        // events are due: their accounts are saved with every batch too.
        for simulated in events + self.pending {
            guard let index = self.population.index(of: simulated.event.account), seen.insert(index).inserted else { continue }
            indices.append(index)
        }
        return try indices.map { index in
            (index, try self.population.accounts[index].checkpointJSON())
        }
    }

    /// Continues from a snapshot and the saved accounts (JSON by index).
    public mutating func restore(_ snapshot: SimulationSnapshot, accounts: [Int: String]) throws {
        let decoder = JSONDecoder()
        var saved: [Int: Account] = [:]
        for (index, text) in accounts {
            saved[index] = try decoder.decode(Account.self, from: Data(text.utf8))
        }
        self.random = snapshot.random
        self.clock = snapshot.clock
        self.pending = snapshot.pending
        self.population.restore(accounts: saved, blocked: snapshot.blocked)
    }

    /// The business time of the latest event: where a continued run resumes.
    public var businessTime: EventTimestamp {
        self.clock.now
    }
}
