import Foundation
import PayFlowDomain
import Testing
@testable import PayFlowGenerator

/// A simulator restored from its snapshot (what a generator process saves
/// with every batch) continues exactly as one that never stopped, also when
/// it stops while realistic episodes have events scheduled hours ahead.
@Suite("Simulation: snapshot and restore")
struct SnapshotTests {
    static let start = EventTimestamp(rfc3339: "2026-11-02T08:00:00Z")!

    @Test(arguments: [TrafficProfile.realistic, .clean])
    func aRestoredSimulatorContinuesAsOneThatNeverStopped(profile: TrafficProfile) throws {
        let configuration = GeneratorConfiguration(
            eventsPerSecond: nil, totalEvents: nil, accounts: 200, fraudRate: 0.01, inconsistencyRate: 0.02,
            seed: 7, startTime: Self.start, profile: profile
        )
        var uninterrupted = TrafficSimulator(configuration: configuration, seed: 7, startTime: Self.start)
        var stopped = TrafficSimulator(configuration: configuration, seed: 7, startTime: Self.start)
        var emitted: [SimulatedEvent] = []
        var steps = 0
        // Stop where an episode is in flight (realistic) or after 500 steps (clean).
        while steps < 500 || (profile == .realistic && stopped.pending.isEmpty) {
            emitted += stopped.next()
            steps += 1
            try #require(steps < 50_000, "no episode in flight after 50,000 steps")
        }
        if profile == .realistic {
            #expect(!stopped.pending.isEmpty)
        }
        for _ in 0..<steps {
            _ = uninterrupted.next()
        }

        // What the generator keeps: the snapshot and every account a batch touched, through JSON.
        let snapshot = try SimulationSnapshot.decoded(stopped.snapshot().encoded())
        let accounts = Dictionary(uniqueKeysWithValues: try stopped.accountStates(of: emitted).map { ($0.index, $0.state) })
        var restored = TrafficSimulator(configuration: configuration, seed: 7, startTime: Self.start)
        try restored.restore(snapshot, accounts: accounts)

        var expected: [SimulatedEvent] = []
        var continued: [SimulatedEvent] = []
        for _ in 0..<3_000 {
            expected += uninterrupted.next()
            continued += restored.next()
        }
        let firstDifference = zip(expected, continued).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil && expected.count == continued.count,
                "restored run diverges at event \(firstDifference ?? min(expected.count, continued.count)) of \(expected.count)")
    }
}
