import Foundation
import PayFlowDomain
import Testing
@testable import PayFlowGenerator

/// The realistic profile: hard negatives labelled legitimate, adaptive fraud
/// labelled fraud under its own names, each at its documented rate, and the
/// same events for the same seed and profile.
@Suite("Realistic traffic profile")
struct RealisticProfileTests {
    static let steps = 40_000

    /// One seeded realistic run, counted in steps (the unit the rates are per),
    /// with the episode events still scheduled after the last step.
    static let run: (events: [SimulatedEvent], pending: [SimulatedEvent]) = {
        var simulator = TrafficSimulator(
            configuration: SimulationFixtures.configuration(accounts: 10_000, profile: .realistic), seed: 2026, startTime: SimulationFixtures.start
        )
        var events: [SimulatedEvent] = []
        for _ in 0..<Self.steps { events += simulator.next() }
        return (events, simulator.pending)
    }()

    @Test func realisticIsTheDefaultProfile() {
        #expect(GeneratorConfiguration().profile == .realistic)
    }

    /// Episodes per 10,000 steps, as the README's "Detection quality" documents them.
    static let documentedPer10000Steps: [String: Double] = [
        "traveller_after_booking": 20, "small_recurring_payments": 20, "payroll_day": 10, "family_shared_device": 10,
        "legitimate_return": 20, "velocity_under_threshold": 5, "slow_card_testing": 5, "plausible_travel": 5,
    ]

    @Test func eachShapeAppearsAtItsDocumentedRate() {
        var incidents: [String: Set<UUID>] = [:]
        for label in (Self.run.events + Self.run.pending).flatMap(\.labels) where label.category != "inconsistency" {
            incidents[label.name, default: []].insert(label.incidentID!)
        }
        for (episode, probability) in TrafficProfile.realistic.episodeRates {
            let name = switch episode {
            case .legitimate(let shape): shape.rawValue
            case .adaptiveFraud(let shape): shape.rawValue
            }
            // Binomial: within 4 standard deviations of steps × rate.
            #expect(probability * 10_000 == Self.documentedPer10000Steps[name], "\(name): the rate the README documents")
            let expected = Double(Self.steps) * probability
            let tolerance = 4 * (expected * (1 - probability)).squareRoot()
            let seen = Double(incidents[name]?.count ?? 0)
            #expect(abs(seen - expected) <= tolerance, "\(name): \(seen) episodes in \(Self.steps) steps, documented \(expected)")
        }
        #expect(Set(incidents.keys) == Set(Self.documentedPer10000Steps.keys), "every shape appears, and only those (fraud rate 0)")
    }

    @Test func hardNegativesAreLabelledLegitimateAndAdaptiveFraudIsFraud() {
        for simulated in Self.run.events {
            for label in simulated.labels {
                #expect(label.transactionID == simulated.event.id)
                switch label.kind {
                case .legitimate(let shape):
                    #expect(label.category == "legitimate")
                    #expect(label.name == shape.rawValue)
                case .adaptiveFraud(let shape):
                    #expect(label.category == "fraud")
                    #expect(label.name == shape.rawValue)
                    #expect(FraudPattern(scenarioName: label.name) == nil, "adaptive fraud has names of its own")
                case .fraud, .inconsistency:
                    Issue.record("no textbook fraud or inconsistency at rate 0: \(label)")
                }
            }
            #expect(simulated.labels.count <= 1)
            #expect(simulated.ledger == (simulated.event.type.isTransaction ? LedgerRecord(matching: simulated.event) : nil))
        }
    }

    @Test func timestampsNeverDecrease() {
        let times = Self.run.events.map(\.event.occurredAt)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func sameSeedAndProfileGiveTheSameEventsAndProfilesDiffer() {
        func events(_ profile: TrafficProfile, seed: UInt64) -> [SimulatedEvent] {
            var simulator = TrafficSimulator(
                configuration: SimulationFixtures.configuration(fraudRate: 0.01, accounts: 2_000, profile: profile), seed: seed, startTime: SimulationFixtures.start
            )
            return SimulationFixtures.run(&simulator, events: 15_000)
        }
        let realistic = events(.realistic, seed: 5)
        #expect(realistic == events(.realistic, seed: 5))
        let clean = events(.clean, seed: 5)
        #expect(clean == events(.clean, seed: 5))
        #expect(clean.map(\.event.id) != realistic.map(\.event.id))
        #expect(!clean.flatMap(\.labels).contains { $0.category == "legitimate" })
        #expect(!clean.flatMap(\.labels).contains { if case .adaptiveFraud = $0.kind { true } else { false } })
    }

    // MARK: - Shapes

    /// Each episode's events, grouped by incident, for the shape checks
    /// (those still scheduled at the end included, so none is cut short).
    static func episodes(_ name: String) -> [[SimulatedEvent]] {
        var byIncident: [UUID: [SimulatedEvent]] = [:]
        var order: [UUID] = []
        for simulated in Self.run.events + Self.run.pending {
            guard let label = simulated.labels.first, label.name == name, let incident = label.incidentID else { continue }
            if byIncident[incident] == nil { order.append(incident) }
            byIncident[incident, default: []].append(simulated)
        }
        return order.compactMap { byIncident[$0] }
    }

    static func minutes(_ a: EventTimestamp, _ b: EventTimestamp) -> Double {
        Double(b.microsecondsSinceEpoch - a.microsecondsSinceEpoch) / 60_000_000
    }

    /// Most payments of one episode in any window of `minutes` (ending at a payment).
    static func mostInWindow(_ events: [SimulatedEvent], minutes: Double) -> Int {
        let times = events.filter { $0.event.type == .payment }.map(\.event.occurredAt)
        return times.map { end in times.filter { $0 <= end && Self.minutes($0, end) <= minutes }.count }.max() ?? 0
    }

    @Test func travellersPayAbroadAfterAFlight() {
        let episodes = Self.episodes(HardNegative.travellerAfterBooking.rawValue)
        #expect(episodes.count > 40)
        var homeChargesWhileAway = 0
        for events in episodes {
            let payments = events.map(\.event)
            let home = payments[0].details.country
            let abroad = payments.filter { $0.details.country != home }
            #expect(!abroad.isEmpty)
            guard let landing = abroad.first else { continue }
            let sameContinent = Continent.of(home ?? "") == Continent.of(landing.details.country ?? "")
            #expect(Self.minutes(payments[0].occurredAt, landing.occurredAt) >= (sameContinent ? 72 : 180), "a flight's duration")
            if payments.dropFirst().contains(where: { $0.details.country == home }) { homeChargesWhileAway += 1 }
        }
        #expect(homeChargesWhileAway > 0, "some travellers get a home-country charge while away")
    }

    @Test func smallRecurringPaymentsAreSmallAndSometimesClose() {
        let episodes = Self.episodes(HardNegative.smallRecurringPayments.rawValue)
        #expect(episodes.count > 40)
        for events in episodes {
            #expect(events.count >= 6)
            #expect(events.allSatisfy { $0.event.type == .payment && $0.event.amount < 250 })
        }
        #expect(episodes.contains { Self.mostInWindow($0, minutes: 10) >= 5 }, "a billing run or in-app burst of 5 in 10 minutes")
    }

    @Test func payrollDaysSpendMostOfTheSalaryWithinMinutes() {
        let episodes = Self.episodes(HardNegative.payrollDay.rawValue)
        #expect(episodes.count > 15)
        for events in episodes {
            let topup = events[0].event
            #expect(topup.type == .topup && topup.amount >= 120_000)
            let spent = events.dropFirst().map(\.event.amount).reduce(0, +)
            #expect(Double(spent) >= 0.3 * Double(topup.amount) && spent <= topup.amount)
            #expect(Self.minutes(topup.occurredAt, events.last!.event.occurredAt) <= 25)
        }
    }

    @Test func familiesShareOneDeviceAcrossAccounts() {
        let episodes = Self.episodes(HardNegative.familySharedDevice.rawValue)
        #expect(episodes.count > 15)
        for events in episodes {
            #expect(Set(events.map { $0.event.details.device }).count == 1)
        }
        #expect(episodes.contains { Set($0.map(\.event.account)).count >= 2 })
    }

    @Test func returnsNeverExceedWhatWasPaidOrReferToOldPurchases() {
        let episodes = Self.episodes(HardNegative.legitimateReturn.rawValue)
        #expect(episodes.count > 40)
        let paid = Dictionary((Self.run.events + Self.run.pending).filter { $0.event.type == .payment }.map { ($0.event.id, $0.event.amount) }, uniquingKeysWith: { a, _ in a })
        var unknown = 0
        for events in episodes {
            #expect(events.allSatisfy { $0.event.type == .refund })
            let original = events[0].event.details.originalPaymentID!
            if let amount = paid[original] {
                #expect(events.map(\.event.amount).reduce(0, +) <= amount)
            } else {
                unknown += 1
            }
        }
        #expect(unknown > 0 && unknown < episodes.count, "both kinds of return")
    }

    @Test func adaptiveVelocityStaysAtFourIn10Minutes() {
        let episodes = Self.episodes(AdaptiveFraud.velocityUnderThreshold.rawValue)
        #expect(episodes.count > 10)
        for events in episodes {
            #expect(events.count >= 6)
            #expect(Self.mostInWindow(events, minutes: 10) <= 4)
        }
    }

    @Test func slowCardTestingStaysUnderFiveIn10Minutes() {
        let episodes = Self.episodes(AdaptiveFraud.slowCardTesting.rawValue)
        #expect(episodes.count > 10)
        for events in episodes {
            #expect(events.count >= 8)
            #expect(events.allSatisfy { $0.event.amount < 200 })
            #expect(Set(events.map { $0.event.details.merchant }).count == events.count)
            #expect(Self.mostInWindow(events, minutes: 10) <= 4)
        }
    }

    @Test func plausibleTravelTakesLongerThanTheTravelRuleAsks() {
        let episodes = Self.episodes(AdaptiveFraud.plausibleTravel.rawValue)
        #expect(episodes.count > 10)
        for events in episodes {
            #expect(events.count == 2)
            let (home, away) = (events[0].event, events[1].event)
            #expect(home.details.country != away.details.country)
            let sameContinent = Continent.of(home.details.country ?? "") == Continent.of(away.details.country ?? "")
            #expect(Self.minutes(home.occurredAt, away.occurredAt) >= (sameContinent ? 16 : 46))
        }
    }
}
