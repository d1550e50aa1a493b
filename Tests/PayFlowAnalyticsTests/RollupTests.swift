import Foundation
import PayFlowAnalytics
import PayFlowDomain
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// Minutes are stored; hours and days are rolled up on query. Both must
/// agree with each other and with the events themselves.
@Suite("Analytics rollups")
struct RollupTests {
    typealias Fixture = AnalyticsFixture

    /// Payments at random instants over three days, in two currencies.
    static func spreadEvents(count: Int) -> [PaymentEvent] {
        var generator = SystemRandomNumberGenerator()
        let span: Int64 = 3 * 86_400 * 1_000_000
        return (0..<count).map { index in
            Fixture.payment(
                account: "acc-\(index % 40)",
                amount: Int64.random(in: 1...100_000, using: &generator),
                currency: index % 3 == 0 ? .usd : .eur,
                at: Traffic.start.adding(microseconds: Int64.random(in: 0..<span, using: &generator))
            )
        }
    }

    static func record(_ events: [PaymentEvent], _ fixture: Fixture) async throws {
        try await fixture.withHandler { handler in
            var start = 0
            while start < events.count {
                let batch = events[start..<min(start + 200, events.count)].map(AnalyticsMessage.event)
                _ = try await handler.handle(fixture.deliveries(batch, firstID: UInt64(start + 1)))
                start += 200
            }
        }
    }

    /// Points of a finer series summed into coarser buckets.
    static func rollUp(_ points: [TimeseriesPoint], to bucket: TimeBucket) -> [TimeseriesPoint] {
        let micros = bucket.seconds * 1_000_000
        let grouped = Dictionary(grouping: points) { point in
            "\(point.start.microsecondsSinceEpoch / micros)|\(point.totals.type)|\(point.totals.currency)"
        }
        return grouped.values.map { group in
            let first = group[0]
            return TimeseriesPoint(
                start: EventTimestamp(microsecondsSinceEpoch: first.start.microsecondsSinceEpoch / micros * micros),
                totals: AmountTotals(
                    type: first.totals.type, currency: first.totals.currency,
                    count: group.reduce(0) { $0 + $1.totals.count }, sum: group.reduce(0) { $0 + $1.totals.sum },
                    min: group.map(\.totals.min).min()!, max: group.map(\.totals.max).max()!
                )
            )
        }
        .sorted { ($0.start, $0.totals.type, $0.totals.currency) < ($1.start, $1.totals.type, $1.totals.currency) }
    }

    /// The series computed from the events in Swift.
    static func expectedSeries(_ events: [PaymentEvent], bucket: TimeBucket) -> [TimeseriesPoint] {
        let micros = bucket.seconds * 1_000_000
        return Dictionary(grouping: events) { $0.occurredAt.microsecondsSinceEpoch / micros }
            .flatMap { slot, group in
                ExpectedFigures.totals(group).map { TimeseriesPoint(start: EventTimestamp(microsecondsSinceEpoch: slot * micros), totals: $0) }
            }
            .sorted { ($0.start, $0.totals.type, $0.totals.currency) < ($1.start, $1.totals.type, $1.totals.currency) }
    }

    @Test func minutesRollUpToHoursAndDaysExactly() async throws {
        try await Fixture.with { fixture in
            let events = Self.spreadEvents(count: 3000)
            try await Self.record(events, fixture)
            let from = Traffic.start
            let to = Traffic.start.adding(microseconds: 3 * 86_400 * 1_000_000)
            let minutes = try await fixture.queries.timeseries(from: from, to: to, bucket: .minute, type: nil)
            let hours = try await fixture.queries.timeseries(from: from, to: to, bucket: .hour, type: nil)
            let days = try await fixture.queries.timeseries(from: from, to: to, bucket: .day, type: nil)

            #expect(minutes == Self.expectedSeries(events, bucket: .minute))
            #expect(hours == Self.rollUp(minutes, to: .hour))
            #expect(hours == Self.expectedSeries(events, bucket: .hour))
            #expect(days == Self.rollUp(hours, to: .day))
            // 72 hours from 08:00 touch four UTC days; two currencies each.
            #expect(days.count == 4 * 2)
            let summary = try await fixture.queries.summary()
            #expect(Self.rollUp(days, to: .day).map(\.totals.count).reduce(0, +) == summary.totals.map(\.count).reduce(0, +))
            #expect(days.map(\.totals.sum).reduce(0, +) == events.map(\.amount).reduce(0, +))
        }
    }

    @Test func aRangeAndATypeSelectOnlyTheirMinutes() async throws {
        try await Fixture.with { fixture in
            var events = Self.spreadEvents(count: 500)
            events.append(Fixture.accountEvent(.accountBlocked, account: "acc-1", at: Traffic.start.adding(microseconds: 3_600_000_000 + 5)))
            try await Self.record(events, fixture)
            let hourStart = Traffic.start.adding(microseconds: 3_600_000_000)
            let hourEnd = hourStart.adding(microseconds: 3_600_000_000)
            let inHour = events.filter { $0.occurredAt >= hourStart && $0.occurredAt < hourEnd }

            let hour = try await fixture.queries.timeseries(from: hourStart, to: hourEnd, bucket: .hour, type: nil)
            #expect(hour == Self.expectedSeries(inHour, bucket: .hour))
            let payments = try await fixture.queries.timeseries(from: hourStart, to: hourEnd, bucket: .day, type: .payment)
            #expect(payments.allSatisfy { $0.totals.type == "payment" })
            #expect(payments.map(\.totals.count).reduce(0, +) == Int64(inHour.filter { $0.type == .payment }.count))
            let blocks = try await fixture.queries.timeseries(from: hourStart, to: hourEnd, bucket: .minute, type: .accountBlocked)
            #expect(blocks.count == 1)
            #expect(blocks.first?.start == hourStart)
        }
    }
}
