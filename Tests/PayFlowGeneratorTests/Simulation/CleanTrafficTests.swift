import Foundation
import PayFlowDomain
import Testing
@testable import PayFlowGenerator

/// 100,000 events with neither fraud nor inconsistencies must contain nothing
/// an anti-fraud rule or a reconciliation could flag.
@Suite("Clean traffic")
struct CleanTrafficTests {
    private var run: SimulationFixtures.Run { SimulationFixtures.cleanRun }

    @Test func hasNoLabelsAndMatchingLedgerRows() {
        for simulated in self.run.events {
            #expect(simulated.labels.isEmpty)
            #expect(simulated.emissions == 1)
            if simulated.event.type.isTransaction {
                #expect(simulated.ledger == LedgerRecord(matching: simulated.event))
            } else {
                #expect(simulated.ledger == nil)
            }
        }
    }

    @Test func timestampsNeverDecrease() {
        let times = self.run.events.map(\.event.occurredAt)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(times.first! >= SimulationFixtures.start)
    }

    @Test func businessTimeGivesAccountsAFewEventsADayQuietAtNight() {
        let events = self.run.events
        let first = SimulationFixtures.start.microsecondsSinceEpoch
        let days = Double(events.last!.event.occurredAt.microsecondsSinceEpoch - first) / 86_400_000_000
        let perAccountPerDay = Double(events.count) / 10_000 / days
        #expect(perAccountPerDay > 4 && perAccountPerDay < 8, "\(perAccountPerDay) events per account per day")
        var hours = [Int](repeating: 0, count: 24)
        for simulated in events {
            hours[Int(simulated.event.occurredAt.microsecondsSinceEpoch / 3_600_000_000 % 24)] += 1
        }
        let night = hours[2...4].reduce(0, +)
        let midday = hours[11...13].reduce(0, +)
        let evening = hours[18...20].reduce(0, +)
        #expect(midday > 4 * night)
        #expect(evening > 4 * night)
    }

    @Test func refundsReferToAnEarlierPaymentOfTheSameAccountAndNeverExceedWhatIsLeft() {
        var remaining: [UUID: (account: String, amount: Int64)] = [:]
        var refunds = 0
        for simulated in self.run.events {
            let event = simulated.event
            switch event.type {
            case .payment:
                remaining[event.id] = (event.account, event.amount)
            case .refund:
                refunds += 1
                guard let original = event.details.originalPaymentID, let payment = remaining[original] else {
                    Issue.record("refund \(event.id) refers to no earlier payment")
                    continue
                }
                #expect(payment.account == event.account)
                #expect(event.amount <= payment.amount)
                remaining[original] = (payment.account, payment.amount - event.amount)
            default:
                break
            }
        }
        #expect(refunds > 1_000)
    }

    @Test func balancesNeverGoNegative() {
        var balances: [String: Int64] = [:]
        for simulated in self.run.events {
            let event = simulated.event
            var balance = balances[event.account] ?? self.run.initial.account(event.account).balance
            switch event.type {
            case .payment: balance -= event.amount
            case .refund, .topup: balance += event.amount
            case .accountBlocked, .accountUnblocked: break
            }
            #expect(balance >= 0, "\(event.account) goes to \(balance)")
            balances[event.account] = balance
        }
    }

    @Test func blockedAccountsHaveNoActivityAndOnlyBlockedOnesAreUnblocked() {
        var blocked: Set<String> = []
        var blocks = 0
        var unblocks = 0
        for simulated in self.run.events {
            let event = simulated.event
            switch event.type {
            case .accountBlocked:
                #expect(!blocked.contains(event.account))
                blocked.insert(event.account)
                blocks += 1
            case .accountUnblocked:
                #expect(blocked.contains(event.account))
                blocked.remove(event.account)
                unblocks += 1
            default:
                #expect(!blocked.contains(event.account), "\(event.type) on blocked \(event.account)")
            }
        }
        #expect(blocks > 100)
        #expect(unblocks > 100)
    }

    @Test func noAccountMakesMoreThanThreePaymentsInTenMinutes() {
        var latest: [String: [Int64]] = [:]
        for simulated in self.run.events where simulated.event.type == .payment {
            let time = simulated.event.occurredAt.microsecondsSinceEpoch
            var times = latest[simulated.event.account] ?? []
            if times.count == 3 {
                #expect(time - times[0] > 600_000_000, "\(simulated.event.account) pays 4 times in 10 minutes")
                times.removeFirst()
            }
            times.append(time)
            latest[simulated.event.account] = times
        }
    }

    @Test func paymentsStayWithinTheHabitAtHome() {
        for simulated in self.run.events where simulated.event.type == .payment {
            let event = simulated.event
            let account = self.run.initial.account(event.account)
            #expect(event.amount >= 300)
            #expect(event.amount < 200_000)
            #expect(event.amount <= 5 * account.habitMedian)
            #expect(event.details.country == account.homeCountry)
            #expect(event.details.device == account.device)
            #expect(event.currency == account.currency)
        }
    }

    @Test func topupsAreModestAndNeverHalfSpentWithinThirtyMinutes() {
        struct OpenTopup {
            var time: Int64
            var amount: Int64
            var spent: Int64
        }
        var open: [String: [OpenTopup]] = [:]
        var topups = 0
        for simulated in self.run.events {
            let event = simulated.event
            let time = event.occurredAt.microsecondsSinceEpoch
            var recent = (open[event.account] ?? []).filter { time - $0.time <= 30 * 60_000_000 }
            switch event.type {
            case .topup:
                topups += 1
                #expect((2_000...50_000).contains(event.amount))
                recent.append(OpenTopup(time: time, amount: event.amount, spent: 0))
            case .payment:
                for index in recent.indices {
                    recent[index].spent += event.amount
                    #expect(recent[index].spent * 2 <= recent[index].amount, "\(event.account) spends over half a top-up")
                }
            default:
                break
            }
            open[event.account] = recent
        }
        #expect(topups > 5_000)
    }

    @Test func mixRoughlyFollowsTheWeights() {
        var counts: [EventType: Int] = [:]
        for simulated in self.run.events {
            counts[simulated.event.type, default: 0] += 1
        }
        let total = Double(self.run.events.count)
        for type in EventType.allCases {
            let expected = GeneratorConfiguration.defaultMix[type]!
            let share = Double(counts[type] ?? 0) / total
            #expect(share > expected * 0.5 && share < expected * 1.5, "\(type): \(share) for a weight of \(expected)")
        }
    }

    @Test(arguments: EventType.allCases)
    func aTypeWithWeightZeroNeverAppears(_ excluded: EventType) {
        var mix = GeneratorConfiguration.defaultMix
        mix[excluded] = 0
        var simulator = TrafficSimulator(
            configuration: SimulationFixtures.configuration(inconsistencyRate: 0.01, mix: mix, accounts: 2_000),
            seed: 5, startTime: SimulationFixtures.start
        )
        let events = SimulationFixtures.run(&simulator, events: 10_000)
        #expect(!events.contains { $0.event.type == excluded })
    }
}
