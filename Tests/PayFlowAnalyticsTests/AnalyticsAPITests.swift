import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PayFlowAnalytics
import PayFlowAnalyticsAPI
import PayFlowDomain
import PayFlowTestSupport
import Testing

/// The HTTP API through HummingbirdTesting, over figures recorded in a real
/// PostgreSQL by the handler.
@Suite("Analytics HTTP API")
struct AnalyticsAPITests {
    typealias Fixture = AnalyticsFixture

    /// A known data set: payments in two currencies over two hours, a block,
    /// alerts and mismatches.
    struct DataSet {
        var events: [PaymentEvent]
        var alerts: [AlertNotice]
        var mismatches: [MismatchNotice]
    }

    static func record(_ fixture: Fixture) async throws -> DataSet {
        let t0 = Traffic.start
        var events: [PaymentEvent] = []
        for index in 0..<40 {
            events.append(Fixture.payment(
                account: "acc-\(index % 5)", amount: Int64(100 * (index + 1)), currency: index % 4 == 0 ? .jpy : .eur,
                at: t0.adding(microseconds: Int64(index) * 180_000_000)
            ))
        }
        events.append(Fixture.accountEvent(.accountBlocked, account: "acc-9", at: t0))
        let alerts = (0..<5).map { Fixture.alert(rule: $0 < 3 ? "velocity" : "amount_spike", at: t0.adding(microseconds: Int64($0) * 1_000_000)) }
        let mismatches = (0..<3).map { Fixture.mismatch(kind: "amount_mismatch", at: t0.adding(microseconds: Int64($0) * 1_000_000)) }
        let messages = events.map(AnalyticsMessage.event) + alerts.map(AnalyticsMessage.alert) + mismatches.map(AnalyticsMessage.mismatch)
        try await fixture.withHandler { handler in
            _ = try await handler.handle(fixture.deliveries(messages))
        }
        return DataSet(events: events, alerts: alerts, mismatches: mismatches)
    }

    /// Runs `body` with a client of a router that has the analytics API only.
    static func withAPI(_ fixture: Fixture, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = Router()
        try AnalyticsAPI(queries: fixture.queries, logger: Fixture.quietLogger).register(on: router)
        try await Application(router: router).test(.router) { client in
            try await body(client)
        }
    }

    // MARK: - Figures

    @Test func summaryReturnsTheStoredTotals() async throws {
        try await Fixture.with { fixture in
            let data = try await Self.record(fixture)
            try await Self.withAPI(fixture) { client in
                let (status, json) = try await client.getJSON("/v1/stats/summary")
                #expect(status == .ok)
                let totals = try #require(json["totals"] as? [[String: Any]])
                let expected = ExpectedFigures(data.events).totals
                #expect(totals.count == expected.count)
                for (row, want) in zip(totals, expected) {
                    #expect(row["type"] as? String == want.type)
                    #expect(row["currency"] as? String == want.currency)
                    #expect((row["count"] as? NSNumber)?.int64Value == want.count)
                    #expect((row["sum"] as? NSNumber)?.int64Value == want.sum)
                    #expect((row["min"] as? NSNumber)?.int64Value == want.min)
                    #expect((row["max"] as? NSNumber)?.int64Value == want.max)
                }
                #expect(json["alerts_total"] as? Int == 5)
                #expect(json["mismatches_total"] as? Int == 3)
                #expect(json["blocked_accounts"] as? Int == 1)
            }
        }
    }

    @Test func timeseriesRollsUpPerBucket() async throws {
        try await Fixture.with { fixture in
            let data = try await Self.record(fixture)
            try await Self.withAPI(fixture) { client in
                let (status, json) = try await client.getJSON("/v1/stats/timeseries?from=2026-03-02T08:00:00Z&to=2026-03-02T10:00:00.000000Z&bucket=hour&type=payment")
                #expect(status == .ok)
                #expect(json["bucket"] as? String == "hour")
                #expect(json["from"] as? String == "2026-03-02T08:00:00.000000Z")
                let points = try #require(json["points"] as? [[String: Any]])
                let payments = data.events.filter { $0.type == .payment }
                // 20 payments (3 minutes apart) per hour; every fourth in JPY.
                #expect(points.map { $0["start"] as? String } == [
                    "2026-03-02T08:00:00.000000Z", "2026-03-02T08:00:00.000000Z", "2026-03-02T09:00:00.000000Z", "2026-03-02T09:00:00.000000Z",
                ])
                #expect(points.map { $0["currency"] as? String } == ["EUR", "JPY", "EUR", "JPY"])
                let counts: [Int64] = points.compactMap { ($0["count"] as? NSNumber)?.int64Value }
                let sums: [Int64] = points.compactMap { ($0["sum"] as? NSNumber)?.int64Value }
                let paymentSum: Int64 = payments.map(\.amount).reduce(0, +)
                #expect(counts.reduce(0, +) == Int64(payments.count))
                #expect(sums.reduce(0, +) == paymentSum)
                let firstHourEUR = payments.filter { $0.currency == .eur && $0.occurredAt < Traffic.start.adding(microseconds: 3_600_000_000) }
                #expect((points[0]["count"] as? NSNumber)?.int64Value == Int64(firstHourEUR.count))
                #expect((points[0]["max"] as? NSNumber)?.int64Value == firstHourEUR.map(\.amount).max())

                // An offset is accepted too: 09:00+01:00 is 08:00Z.
                let (offsetStatus, offset) = try await client.getJSON("/v1/stats/timeseries?from=2026-03-02T09:00:00%2B01:00&to=2026-03-02T08:03:00Z")
                #expect(offsetStatus == .ok)
                #expect((offset["points"] as? [[String: Any]])?.count == 2, "the payment and the block of 08:00")
            }
        }
    }

    @Test func alertsAndMismatchesListPerNameAndRecent() async throws {
        try await Fixture.with { fixture in
            let data = try await Self.record(fixture)
            try await Self.withAPI(fixture) { client in
                let (status, alerts) = try await client.getJSON("/v1/stats/alerts?limit=2")
                #expect(status == .ok)
                #expect(alerts["total"] as? Int == 5)
                let perRule = try #require(alerts["per_rule"] as? [[String: Any]])
                #expect(perRule.map { $0["rule"] as? String } == ["amount_spike", "velocity"])
                #expect(perRule.map { $0["count"] as? Int } == [2, 3])
                let recent = try #require(alerts["recent"] as? [[String: Any]])
                #expect(recent.map { $0["alert_id"] as? String } == [data.alerts[4].alertID, data.alerts[3].alertID])
                #expect(recent.first?["detected_at"] as? String == data.alerts[4].detectedAt.description)

                let (mismatchStatus, mismatches) = try await client.getJSON("/v1/stats/mismatches")
                #expect(mismatchStatus == .ok)
                #expect(mismatches["total"] as? Int == 3)
                #expect((mismatches["per_kind"] as? [[String: Any]])?.first?["kind"] as? String == "amount_mismatch")
                let recentMismatches = try #require(mismatches["recent"] as? [[String: Any]])
                #expect(recentMismatches.map { $0["mismatch_id"] as? String } == data.mismatches.reversed().map(\.mismatchID))
            }
        }
    }

    @Test func topAccountsPerCurrency() async throws {
        try await Fixture.with { fixture in
            let data = try await Self.record(fixture)
            let spend = ExpectedFigures(data.events).spend.values
            try await Self.withAPI(fixture) { client in
                let (status, json) = try await client.getJSON("/v1/stats/accounts/top?limit=2&currency=EUR")
                #expect(status == .ok)
                let accounts = try #require(json["accounts"] as? [[String: Any]])
                let expected = spend.filter { $0.currency == "EUR" }.sorted { ($0.amount, $1.account) > ($1.amount, $0.account) }.prefix(2)
                #expect(accounts.map { $0["account"] as? String } == expected.map(\.account))
                #expect(accounts.map { ($0["amount"] as? NSNumber)?.int64Value } == expected.map(\.amount))
                #expect(accounts.map { ($0["payments"] as? NSNumber)?.int64Value } == expected.map(\.payments))

                let (_, all) = try await client.getJSON("/v1/stats/accounts/top?limit=1")
                let perCurrency = try #require(all["accounts"] as? [[String: Any]])
                #expect(perCurrency.map { $0["currency"] as? String } == ["EUR", "JPY"])
            }
        }
    }

    // MARK: - Bad parameters

    /// Each bad request, and the start of the message it must get: the
    /// parameter's name first, whichever layer caught it.
    @Test(arguments: [
        ("/v1/stats/timeseries?from=2026-03-02T08:00:00Z&to=2026-03-02T09:00:00Z&bucket=week", "bucket:"),
        ("/v1/stats/timeseries?from=2026-03-02T10:00:00Z&to=2026-03-02T09:00:00Z", "from: must not be after to"),
        ("/v1/stats/timeseries?from=yesterday&to=2026-03-02T09:00:00Z", "from: 'yesterday' is not an RFC 3339 time"),
        ("/v1/stats/timeseries?from=2026-03-02T08:00:00Z&to=2026-03-02T25:00:00Z", "to:"),
        ("/v1/stats/timeseries?from=2026-03-02T08:00:00Z", "a required query parameter"),
        ("/v1/stats/timeseries?from=2026-03-02T08:00:00Z&to=2026-03-02T09:00:00Z&type=wire", "type:"),
        ("/v1/stats/timeseries?from=2020-01-01T00:00:00Z&to=2026-03-02T09:00:00Z&bucket=minute", "to: the range holds"),
        ("/v1/stats/alerts?limit=0", "limit: must be between 1 and 1000"),
        ("/v1/stats/alerts?limit=1001", "limit: must be between 1 and 1000"),
        ("/v1/stats/mismatches?limit=ten", "limit: must be an integer"),
        ("/v1/stats/accounts/top?limit=101", "limit: must be between 1 and 100"),
        ("/v1/stats/accounts/top?currency=XXX", "currency:"),
        ("/v1/stats/breakdown?by=city", "by:"),
        ("/v1/stats/breakdown", "Missing required query parameter named: by"),
        ("/v1/stats/breakdown?by=merchant&limit=0", "limit: must be between 1 and 100"),
        ("/v1/stats/breakdown?by=country&limit=101", "limit: must be between 1 and 100"),
    ])
    func badParametersAre400WithAJSONError(uri: String, message: String) async throws {
        try await Fixture.with { fixture in
            try await Self.withAPI(fixture) { client in
                let (status, body) = try await client.get(uri)
                let text = String(decoding: body, as: UTF8.self)
                #expect(status == .badRequest, "\(uri): \(text)")
                let error = try? JSONDecoder().decode(ErrorBody.self, from: body)
                #expect(error?.error.message.hasPrefix(message) == true, "\(uri): \(text)")
            }
        }
    }

    // MARK: - The document

    @Test func servesTheDocumentItWasGeneratedFrom() async throws {
        try await Fixture.with { fixture in
            try await Self.withAPI(fixture) { client in
                let (status, body) = try await client.get("/openapi.json")
                #expect(status == .ok)
                let source = URL(fileURLWithPath: #filePath)
                    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                    .appendingPathComponent("Sources/PayFlowAnalyticsAPI/openapi.json")
                #expect(body == (try Data(contentsOf: source)))
                let document = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
                let paths = try #require(document["paths"] as? [String: Any])
                #expect(Set(paths.keys) == [
                    "/health", "/metrics", "/openapi.json", "/v1/stats/summary", "/v1/stats/timeseries",
                    "/v1/stats/alerts", "/v1/stats/mismatches", "/v1/stats/accounts/top",
                    "/v1/stats/groups", "/v1/stats/detection",
                    "/v1/stats/breakdown", "/v1/stats/notifications",
                ])
                let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
                #expect(schemas["EventType"]?["enum"] as? [String] == EventType.allCases.map(\.rawValue))
                #expect(schemas["CurrencyCode"]?["enum"] as? [String] == Currency.all.map(\.code))
                #expect(schemas["BucketSize"]?["enum"] as? [String] == TimeBucket.allCases.map(\.rawValue))
                #expect(schemas["BreakdownDimension"]?["enum"] as? [String] == BreakdownDimension.allCases.map(\.rawValue))
            }
        }
    }
}

/// `{"error": {"message": ...}}`, the shape every error must have.
struct ErrorBody: Decodable {
    struct Detail: Decodable {
        var message: String
    }

    var error: Detail
}

extension TestClientProtocol {
    func get(_ uri: String) async throws -> (HTTPResponse.Status, Data) {
        try await self.execute(uri: uri, method: .get) { response in
            (response.status, Data(buffer: response.body))
        }
    }

    func getJSON(_ uri: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        let (status, body) = try await self.get(uri)
        let json = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        return (status, json ?? [:])
    }
}
