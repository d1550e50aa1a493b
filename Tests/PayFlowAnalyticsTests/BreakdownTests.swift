import Foundation
import PayFlowAnalytics
import PayFlowDomain
import PayFlowPostgres
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// Breakdowns per merchant and per country (`GET /v1/stats/breakdown`),
/// recorded by the handler as the analytics role, compared with figures
/// computed here from the events and alerts that were sent.
@Suite("Analytics breakdowns per merchant and country")
struct BreakdownTests {
    typealias Fixture = AnalyticsFixture

    /// A seeded generator run (duplicates included), alerts on some of its
    /// payments and refunds (some with two rules), on top-ups (no merchant:
    /// in no breakdown) and on events never sent. Two replicas record
    /// everything at once, one in order (each alert after its event), one
    /// backwards (each alert first), in batches of different sizes: every
    /// transaction and every alert counts once, for the right key.
    @Test func twoReplicasInOppositeOrdersCountEveryTransactionAndAlertOnce() async throws {
        try await Fixture.with { fixture in
            let events = Traffic.events(seed: 16, count: 2_000)
            var alerts: [AlertNotice] = []
            var distinct: [UUID: PaymentEvent] = [:]
            for event in events where distinct[event.id] == nil { distinct[event.id] = event }
            for (index, event) in distinct.values.sorted(by: { $0.id.uuidString < $1.id.uuidString }).enumerated() where index % 11 == 0 {
                alerts.append(Fixture.alert(eventID: event.id, rule: "velocity"))
                if index % 33 == 0 { alerts.append(Fixture.alert(eventID: event.id, rule: "amount_spike")) }
            }
            alerts += (0..<5).map { _ in Fixture.alert(eventID: UUID(), rule: "velocity") }
            // Each alert right after its event, plus a copy of a few alerts (published twice).
            var messages: [AnalyticsMessage] = []
            var pending = Dictionary(grouping: alerts) { $0.eventID }
            for event in events {
                messages.append(.event(event))
                for alert in pending.removeValue(forKey: event.id.uuidString.lowercased()) ?? [] { messages.append(.alert(alert)) }
            }
            messages += pending.values.joined().map(AnalyticsMessage.alert)
            messages += alerts.prefix(7).map(AnalyticsMessage.alert)

            let retries = Shared(0)
            let sent = messages
            try await withThrowingTaskGroup(of: Void.self) { group in
                for replica in 0..<2 {
                    group.addTask {
                        try await fixture.withHandler(as: .analytics) { handler in
                            // Replica 0 in order in batches of 97, replica 1 backwards in batches of 61.
                            try await fixture.handle(
                                replica == 0 ? sent : sent.reversed(), inBatchesOf: replica == 0 ? 97 : 61, with: handler, retries: retries
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }

            for dimension in BreakdownDimension.allCases {
                let expected = ExpectedBreakdown(events: events, alerts: alerts, by: dimension)
                #expect(expected.rows.count > 3, "\(dimension): too few keys to order")
                print("breakdown by \(dimension): \(expected.rows.count) keys, \(expected.rows.reduce(0) { $0 + $1.transactions }) transactions, \(expected.rows.reduce(0) { $0 + $1.alerts }) alerts")
                #expect(expected.rows.contains { $0.alerts > 0 })
                if dimension == .merchant { #expect(expected.rows.contains { $0.refunds > 0 }) }
                let rows = try await fixture.queries.breakdown(by: dimension, limit: 100)
                #expect(rows == Array(expected.rows.prefix(100)), "\(dimension)")
                let top = try await fixture.queries.breakdown(by: dimension, limit: 3)
                #expect(top.map(\.key) == expected.rows.prefix(3).map(\.key))
                #expect(top.map(\.transactions) == expected.rows.prefix(3).map(\.transactions))
            }
            // Alerts on events with a merchant: all of them counted under some
            // merchant, beyond the 100 the API lists too.
            let merchantAlerts = try await fixture.database.query(
                "SELECT coalesce(sum(alerts), 0)::bigint FROM analytics_breakdown WHERE dimension = 'merchant'"
            ).rows[0].decode(0, as: Int64.self)
            let alertsOnTransactions = alerts.filter { alert in
                distinct.values.contains { $0.id.uuidString.lowercased() == alert.eventID && $0.details.merchant != nil }
            }.count
            #expect(merchantAlerts == Int64(alertsOnTransactions) && alertsOnTransactions > 0)
            #expect(retries.value < 100)
        }
    }

    /// The HTTP shape the dashboard codes against, on a small data set whose
    /// figures are written out by hand.
    @Test func theAPIAnswersTheDocumentedShape() async throws {
        try await Fixture.with { fixture in
            func payment(_ merchant: String, _ country: String, _ amount: Int64, _ currency: Currency = .eur) -> PaymentEvent {
                PaymentEvent(
                    id: UUID(), type: .payment, occurredAt: Traffic.start, account: "acc-1", amount: amount, currency: currency,
                    details: .init(merchant: merchant, country: country, ip: "10.0.0.1", device: "dev-1")
                )
            }
            let a1 = payment("mer-a", "DE", 1000)
            let a2 = payment("mer-a", "FR", 500, .jpy)
            let b1 = payment("mer-b", "DE", 700)
            let refund = PaymentEvent(
                id: UUID(), type: .refund, occurredAt: Traffic.start, account: "acc-1", amount: 300, currency: .eur,
                details: .init(merchant: "mer-b", originalPaymentID: b1.id)
            )
            let refund2 = PaymentEvent(
                id: UUID(), type: .refund, occurredAt: Traffic.start, account: "acc-1", amount: 200, currency: .eur,
                details: .init(merchant: "mer-b", originalPaymentID: b1.id)
            )
            // Two alerts on a1 (one before it, in an earlier batch), one on b1.
            try await fixture.withHandler(as: .analytics) { handler in
                _ = try await handler.handle(fixture.deliveries([.alert(Fixture.alert(eventID: a1.id, rule: "velocity"))]))
                _ = try await handler.handle(fixture.deliveries(
                    [.event(a1), .event(a2), .event(b1), .event(refund), .event(refund2), .alert(Fixture.alert(eventID: b1.id, rule: "velocity"))],
                    firstID: 10
                ))
                _ = try await handler.handle(fixture.deliveries([.alert(Fixture.alert(eventID: a1.id, rule: "amount_spike"))], firstID: 20))
            }
            try await AnalyticsAPITests.withAPI(fixture) { client in
                let (status, json) = try await client.getJSON("/v1/stats/breakdown?by=merchant")
                #expect(status == .ok)
                #expect(json["by"] as? String == "merchant")
                #expect(json["limit"] as? Int == 10)
                let rows = try #require(json["rows"] as? [[String: Any]])
                // mer-b: 3 transactions (a payment, two refunds), mer-a: 2.
                #expect(rows.map { $0["key"] as? String } == ["mer-b", "mer-a"])
                #expect(rows.map { $0["transactions"] as? Int } == [3, 2])
                #expect(rows.map { $0["payments"] as? Int } == [1, 2])
                #expect(rows.map { $0["refunds"] as? Int } == [2, 0])
                #expect(rows.map { $0["alerts"] as? Int } == [1, 2])
                #expect(rows.map { $0["flagged_transactions"] as? Int } == [1, 1])
                #expect(rows.map { $0["fraud_share"] as? Double } == [1.0 / 3.0, 0.5])
                let amounts = try #require(rows[1]["amounts"] as? [[String: Any]])
                #expect(amounts.map { $0["currency"] as? String } == ["EUR", "JPY"])
                #expect(amounts.map { $0["payment_amount"] as? Int } == [1000, 500])
                #expect(amounts.map { $0["refund_amount"] as? Int } == [0, 0])
                #expect((rows[0]["amounts"] as? [[String: Any]])?.first?["refund_amount"] as? Int == 500)

                let (_, countries) = try await client.getJSON("/v1/stats/breakdown?by=country&limit=1")
                let countryRows = try #require(countries["rows"] as? [[String: Any]])
                #expect(countryRows.count == 1)
                #expect(countryRows.first?["key"] as? String == "DE")
                #expect(countryRows.first?["transactions"] as? Int == 2)
                #expect(countryRows.first?["alerts"] as? Int == 3)
            }
        }
    }
}

/// The breakdown analytics must report, from the distinct events and alerts.
struct ExpectedBreakdown {
    var rows: [BreakdownRow]

    init(events: [PaymentEvent], alerts: [AlertNotice], by dimension: BreakdownDimension) {
        var distinct: [String: PaymentEvent] = [:]
        for event in events { distinct[event.id.uuidString.lowercased()] = event }
        var alertCounts: [String: Int64] = [:]
        for alertID in Set(alerts.map(\.alertID)) {
            let alert = alerts.first { $0.alertID == alertID }!
            alertCounts[alert.eventID, default: 0] += 1
        }
        var perKey: [String: [String: BreakdownRow.Amounts]] = [:]
        for (id, event) in distinct where event.type == .payment || event.type == .refund {
            guard let key = dimension == .merchant ? event.details.merchant : event.details.country else { continue }
            let currency = event.currency.code
            var amounts = perKey[key, default: [:]][currency] ?? BreakdownRow.Amounts(currency: currency, payments: 0, refunds: 0, paymentAmount: 0, refundAmount: 0)
            if event.type == .payment {
                amounts.payments += 1
                amounts.paymentAmount += event.amount
            } else {
                amounts.refunds += 1
                amounts.refundAmount += event.amount
            }
            let alerted = alertCounts[id, default: 0]
            amounts.alerts += alerted
            amounts.flagged += alerted > 0 ? 1 : 0
            perKey[key, default: [:]][currency] = amounts
        }
        self.rows = perKey.map { key, currencies in
            BreakdownRow(key: key, amounts: currencies.values.sorted { $0.currency < $1.currency })
        }.sorted { ($0.transactions, $1.key) > ($1.transactions, $0.key) }
    }
}
