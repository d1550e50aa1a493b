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
        var none: PendingEventJSON? = nil
        var json = CheckpointJSON(capacity: 256 + 640 * self.pending.count)
        try self.write(to: &json, pendingJSON: &none)
        return json.text
    }

    /// The same JSON, reusing what `pendingJSON` kept of the scheduled events
    /// from the previous snapshot (what every batch's checkpoint does).
    func encoded(reusing pendingJSON: inout PendingEventJSON) throws(CheckpointJSONError) -> String {
        var cache: PendingEventJSON? = pendingJSON
        pendingJSON = PendingEventJSON()
        defer { pendingJSON = cache ?? PendingEventJSON() }
        var json = CheckpointJSON(capacity: 256 + 640 * self.pending.count)
        try self.write(to: &json, pendingJSON: &cache)
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
    /// account a batch changed; an episode changes its accounts when it is
    /// scheduled, before its events are due, so the accounts of scheduled
    /// events are included too.
    public func accountStates(of events: [SimulatedEvent]) throws -> [(index: Int, state: String)] {
        var indices: [Int] = []
        var seen = Set<Int>()
        for simulated in events + self.pending {
            guard let index = self.population.index(of: simulated.event.account), seen.insert(index).inserted else { continue }
            indices.append(index)
        }
        return try self.accountStates(at: indices)
    }

    /// The accounts a batch saves: every account of its events, and each
    /// account an episode holds (``pending``) whose state differs from the
    /// one this simulator last had saved for it.
    ///
    /// Why not every held account on every batch, as before: an episode holds
    /// its accounts for hours of business time, so about a sixth of the rows a
    /// batch wrote were the same states again (issue 13). The comparison is
    /// with the value saved, not with a rule about what can change, so a
    /// change made without an event is saved all the same. A restored
    /// simulator has saved nothing yet and saves each held account once.
    ///
    /// Call it once per batch whose checkpoint will be committed before the
    /// next batch is made; if the checkpoint is dropped, call
    /// ``forgetSavedAccounts()``.
    mutating func accountsToSave(of events: [SimulatedEvent]) -> [Int] {
        var indices: [Int] = []
        var seen = Set<Int>()
        for simulated in events {
            guard let index = self.population.index(of: simulated.event.account), seen.insert(index).inserted else { continue }
            indices.append(index)
        }
        var held: [Int: Account] = [:]
        for simulated in self.pending {
            guard let index = self.population.index(of: simulated.event.account), held[index] == nil else { continue }
            let account = self.population.accounts[index]
            if !seen.contains(index), self.savedHeldAccounts[index] != account {
                indices.append(index)
            }
            held[index] = account
        }
        self.savedHeldAccounts = held
        return indices
    }

    /// After a batch went out without its checkpoint: the next one saves
    /// every held account again.
    mutating func forgetSavedAccounts() {
        self.savedHeldAccounts = [:]
    }

    /// The states of these accounts, as JSON by index.
    func accountStates(at indices: [Int]) throws -> [(index: Int, state: String)] {
        try indices.map { index in
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
        self.savedHeldAccounts = [:]
    }

    /// The business time of the latest event: where a continued run resumes.
    public var businessTime: EventTimestamp {
        self.clock.now
    }
}
