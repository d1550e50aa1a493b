import Foundation
import PayFlowAnalytics
import PayFlowDomain
import PayFlowPostgres
import PayFlowTestSupport
import Testing

/// The moment the two-replica breakdown test can only hit by chance, made
/// to happen: an event and its alert recorded at once by two sessions, the
/// first one's transaction still open when the second records. The second
/// must wait for the first (db/0024's advisory lock per event id) and then
/// see its row; without the wait each would miss the other's uncommitted row
/// and the alert would count for no merchant.
///
/// One test at a time, and the fixture's own session as the first one: the
/// whole suite runs against one server's connection slots.
@Suite("Analytics breakdowns: an event and its alert at once", .serialized)
struct BreakdownRaceTests {
    typealias Fixture = AnalyticsFixture

    @Test func anAlertRecordedWhileItsEventIsUncommittedWaitsAndCounts() async throws {
        try await Self.race(first: .event, then: .alert)
    }

    @Test func anEventRecordedWhileItsAlertIsUncommittedWaitsAndCounts() async throws {
        try await Self.race(first: .alert, then: .event)
    }

    enum Side { case event, alert }

    /// Records `first` in an open transaction on one session, `then` on a
    /// second session meanwhile; checks that the second waited for the commit
    /// and that the breakdown counts the transaction and its alert once.
    static func race(first: Side, then second: Side) async throws {
        try await Fixture.with { fixture in
            let event = Fixture.payment()
            let alert = Fixture.alert(eventID: event.id, rule: "velocity")
            func messages(_ side: Side) -> [AnalyticsMessage] { side == .event ? [.event(event)] : [.alert(alert)] }
            // The second session as the analytics role, so that a missing grant fails too.
            let url = ServiceRole.analytics.databaseURL(from: fixture.databaseURL)
            let holder = fixture.database
            let racer = try await PostgresConnection.connect(url: url, logger: Fixture.quietLogger)
            let finished = Shared(false)
            let outcome: Result<Void, any Error>
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    try await holder.withTransaction { transaction in
                        _ = try await FactRecorder(database: transaction).record(fixture.deliveries(messages(first)))
                        group.addTask {
                            _ = try await FactRecorder(database: racer).record(fixture.deliveries(messages(second), firstID: 10))
                            finished.withLock { $0 = true }
                        }
                        try await Task.sleep(for: .milliseconds(500))
                        #expect(!finished.value, "the second session recorded without waiting for the first to commit")
                    }
                    try await group.waitForAll()
                }
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            await racer.close()
            try outcome.get()
            #expect(finished.value)
            let rows = try await fixture.queries.breakdown(by: .merchant, limit: 10)
            #expect(rows.map(\.key) == ["mer-0001"])
            #expect(rows.first?.amounts.map(\.payments) == [1])
            #expect(rows.first?.amounts.map(\.alerts) == [1], "the alert counts once for its event's merchant")
            #expect(rows.first?.amounts.map(\.flagged) == [1])
        }
    }
}
