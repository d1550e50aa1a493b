import Foundation
import PayFlowAnalytics
import PayFlowDomain
import PayFlowPostgres
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The handler against a real PostgreSQL, batches built by hand: whatever is
/// delivered twice, in one batch or two, counts once.
@Suite("Analytics idempotency")
struct IdempotencyTests {
    typealias Fixture = AnalyticsFixture

    @Test func aBatchHandledTwiceCountsOnce() async throws {
        try await Fixture.with { fixture in
            let events = [
                Fixture.payment(amount: 100), Fixture.payment(amount: 250), Fixture.payment(amount: 7, currency: .jpy),
                Fixture.accountEvent(.accountBlocked, account: "acc-000009", at: Traffic.start),
            ]
            let messages = events.map(AnalyticsMessage.event)
                + [.alert(Fixture.alert(rule: "velocity")), .mismatch(Fixture.mismatch(kind: "amount_mismatch"))]
            let batch = fixture.deliveries(messages)
            try await fixture.withHandler { handler in
                for _ in 0..<2 {
                    let outcomes = try await handler.handle(batch)
                    #expect(outcomes.count == batch.count)
                    #expect(outcomes.values.allSatisfy { $0 == .done })
                }
            }
            let summary = try await fixture.queries.summary()
            #expect(summary.totals == ExpectedFigures(events).totals)
            #expect(summary.alerts == 1)
            #expect(summary.mismatches == 1)
            #expect(summary.blockedAccounts == 1)
            let spend = try await fixture.queries.topAccounts(limit: 10, currency: .eur)
            #expect(spend == [AccountSpend(account: "acc-000001", currency: "EUR", payments: 2, amount: 350)])
        }
    }

    @Test func theSameIDInTwoEntriesCountsOnceInOneBatchOrAcrossBatches() async throws {
        try await Fixture.with { fixture in
            let payment = Fixture.payment(amount: 500)
            let alert = Fixture.alert(rule: "amount_spike")
            let mismatch = Fixture.mismatch(kind: "duplicate_event")
            // Same ids, distinct entries (distinct stream entry ids).
            let twice: [AnalyticsMessage] = [.event(payment), .event(payment), .alert(alert), .alert(alert), .mismatch(mismatch), .mismatch(mismatch)]
            try await fixture.withHandler { handler in
                _ = try await handler.handle(fixture.deliveries(twice, firstID: 1))
                _ = try await handler.handle(fixture.deliveries(twice, firstID: 100))
            }
            let summary = try await fixture.queries.summary()
            #expect(summary.totals == [AmountTotals(type: "payment", currency: "EUR", count: 1, sum: 500, min: 500, max: 500)])
            #expect(summary.alerts == 1)
            #expect(summary.mismatches == 1)
            let facts = try await fixture.database.query(
                "SELECT (SELECT count(*) FROM analytics_events), (SELECT count(*) FROM analytics_alerts), (SELECT count(*) FROM analytics_mismatches)"
            ).first!
            #expect(try facts.decode(0, as: Int.self) == 1)
            #expect(try facts.decode(1, as: Int.self) == 1)
            #expect(try facts.decode(2, as: Int.self) == 1)
            // The first entry read is the one recorded.
            let entry = try await fixture.database.query("SELECT entry_id FROM analytics_events").first!.decode(0, as: String.self)
            #expect(entry == "1-0")
        }
    }

    @Test func alertsCountPerRuleAndMismatchesPerKind() async throws {
        try await Fixture.with { fixture in
            let alerts = ["velocity", "velocity", "amount_spike", "new_device"].map { Fixture.alert(rule: $0) }
            let mismatches = ["amount_mismatch", "missing_in_stream", "missing_in_stream"].map { Fixture.mismatch(kind: $0) }
            let messages = alerts.map(AnalyticsMessage.alert) + mismatches.map(AnalyticsMessage.mismatch)
            try await fixture.withHandler { handler in
                _ = try await handler.handle(fixture.deliveries(messages))
                _ = try await handler.handle(fixture.deliveries(Array(messages.reversed()), firstID: 50))
            }
            let alertStats = try await fixture.queries.alerts(recent: 10)
            #expect(alertStats.total == 4)
            #expect(alertStats.perRule == [
                NamedCount(name: "amount_spike", count: 1), NamedCount(name: "new_device", count: 1), NamedCount(name: "velocity", count: 2),
            ])
            #expect(Set(alertStats.recent) == Set(alerts))
            let mismatchStats = try await fixture.queries.mismatches(recent: 2)
            #expect(mismatchStats.total == 3)
            #expect(mismatchStats.perKind == [NamedCount(name: "amount_mismatch", count: 1), NamedCount(name: "missing_in_stream", count: 2)])
            #expect(mismatchStats.recent.count == 2)
        }
    }

    /// A value PostgreSQL refuses (year 0 decodes as an EventTimestamp but is
    /// no PostgreSQL time) makes the handler throw a refusal, not an outage,
    /// and records nothing of the batch (one statement): the runtime then
    /// handles the halves apart until the entry is alone, which the fault
    /// suite's `StoreRefusalTests` checks for every group.
    @Test func anEntryPostgresRefusesFailsTheStatementAsARefusal() async throws {
        try await Fixture.with { fixture in
            let good = (0..<9).map { Fixture.payment(amount: Int64(10 * ($0 + 1))) }
            let bad = Fixture.payment(amount: 1, at: EventTimestamp(rfc3339: "0000-01-01T00:00:00Z")!)
            var messages = good.map(AnalyticsMessage.event)
            messages.insert(.event(bad), at: 4)
            let batch = fixture.deliveries(messages)
            let refusal = try await fixture.withHandler { handler -> (any Error)? in
                do {
                    _ = try await handler.handle(batch)
                    return nil
                } catch {
                    return error
                }
            }
            let error = try #require(refusal, "the batch with year 0 was recorded")
            #expect(!HandlerFailure.isOutage(error), "\(error)")
            #expect(try await fixture.queries.summary().totals.isEmpty)
            // Without the refused entry the same neighbours are recorded.
            _ = try await fixture.withHandler { handler in try await handler.handle(fixture.deliveries(good.map(AnalyticsMessage.event), firstID: 100)) }
            #expect(try await fixture.queries.summary().totals == ExpectedFigures(good).totals)
        }
    }

    /// Latest `occurred_at` wins, whatever order the events arrive in.
    @Test func blockedAccountsFollowTheLatestBlockOrUnblock() async throws {
        try await Fixture.with { fixture in
            let t0 = Traffic.start
            let blockedThenUnblocked = [
                Fixture.accountEvent(.accountUnblocked, account: "acc-a", at: t0.adding(microseconds: 2_000_000)),
                Fixture.accountEvent(.accountBlocked, account: "acc-a", at: t0),
            ]
            let unblockedThenBlocked = [
                Fixture.accountEvent(.accountBlocked, account: "acc-b", at: t0.adding(microseconds: 5_000_000)),
                Fixture.accountEvent(.accountUnblocked, account: "acc-b", at: t0.adding(microseconds: 1_000_000)),
            ]
            let onlyBlocked = [Fixture.accountEvent(.accountBlocked, account: "acc-c", at: t0)]
            try await fixture.withHandler { handler in
                // The newer event first, then the older one in a later batch.
                _ = try await handler.handle(fixture.deliveries([.event(blockedThenUnblocked[0]), .event(unblockedThenBlocked[0])], firstID: 1))
                _ = try await handler.handle(fixture.deliveries([.event(blockedThenUnblocked[1]), .event(unblockedThenBlocked[1])], firstID: 10))
                _ = try await handler.handle(fixture.deliveries(onlyBlocked.map(AnalyticsMessage.event), firstID: 20))
            }
            let blocked = try await fixture.database.query("SELECT account FROM analytics_account_status WHERE blocked ORDER BY account")
            #expect(try blocked.rows.map { try $0.decode(0, as: String.self) } == ["acc-b", "acc-c"])
            #expect(try await fixture.queries.summary().blockedAccounts == 2)
            #expect(ExpectedFigures(blockedThenUnblocked + unblockedThenBlocked + onlyBlocked).blockedAccounts == 2)
        }
    }

    /// Two handlers on two sessions record overlapping batches at the same
    /// time, the way two replicas do after a claim: every id counts once, and
    /// a deadlock, if PostgreSQL reports one, is thrown (retriable) rather
    /// than answered as an entry failure.
    @Test func concurrentOverlappingBatchesCountEachEventOnce() async throws {
        try await Fixture.with { fixture in
            let events = Traffic.events(seed: 7, count: 1200)
            let messages = events.map(AnalyticsMessage.event)
            let retries = Shared(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for replica in 0..<2 {
                    group.addTask {
                        try await fixture.withHandler { handler in
                            // Replica 0 in order, replica 1 backwards, in batches of 100.
                            try await fixture.handle(replica == 0 ? messages : messages.reversed(), inBatchesOf: 100, with: handler, retries: retries)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let summary = try await fixture.queries.summary()
            #expect(summary.totals == ExpectedFigures(events).totals)
            #expect(retries.value < 100)
        }
    }
}
