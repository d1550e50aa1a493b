import Foundation
import PayFlowDomain
@testable import PayFlowGenerator

/// Shared set-up for the simulation tests: configurations, runs, and the one
/// long clean run that several suites inspect (computed once, lazily).
///
/// Configurations pin the clean profile unless a test asks for another: the
/// suites check what clean traffic promises (no clean event looks like
/// fraud), which the realistic profile breaks on purpose.
enum SimulationFixtures {
    static let start = EventTimestamp(rfc3339: "2026-11-25T00:00:00Z")!

    static func configuration(
        fraudRate: Double = 0,
        inconsistencyRate: Double = 0,
        mix: [EventType: Double] = GeneratorConfiguration.defaultMix,
        accounts: Int = 10_000,
        profile: TrafficProfile = .clean
    ) -> GeneratorConfiguration {
        GeneratorConfiguration(mix: mix, accounts: accounts, fraudRate: fraudRate, inconsistencyRate: inconsistencyRate, profile: profile)
    }

    /// Steps until at least `count` events came out.
    static func run(_ simulator: inout TrafficSimulator, events count: Int) -> [SimulatedEvent] {
        var events: [SimulatedEvent] = []
        events.reserveCapacity(count + 32)
        while events.count < count {
            let step = simulator.next()
            precondition(!step.isEmpty, "the simulator produced nothing")
            events += step
        }
        return events
    }

    /// A clean run: the simulator as it started (profiles, opening balances)
    /// and what it produced.
    struct Run: Sendable {
        var initial: TrafficSimulator
        var events: [SimulatedEvent]
    }

    static let cleanRun: Run = {
        let initial = TrafficSimulator(configuration: Self.configuration(), seed: 42, startTime: Self.start)
        var simulator = initial
        let events = Self.run(&simulator, events: 100_000)
        return Run(initial: initial, events: events)
    }()
}

extension TrafficSimulator {
    /// The profile of an account, for checks against its habit and home.
    func account(_ id: String) -> Account {
        self.population.accounts[self.population.index(of: id)!]
    }
}
