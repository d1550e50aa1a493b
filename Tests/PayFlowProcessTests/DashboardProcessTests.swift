import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The dashboard, loaded by a real headless browser (Debian's `chromium`,
/// installed by scripts/install-deps) from a real `payflow analytics`: once
/// the first sample is pushed to it, the figures on the page must be the API's.
/// A Redis database of its own (``RedisTestDatabase/dashboardProcess``), a PostgreSQL database of its own.
@Suite("The analytics dashboard in a headless browser")
struct DashboardProcessTests {
    @Test func thePageShowsTheNumbersOfTheAPI() async throws {
        let browser = try #require(HeadlessChromium.executable, "no headless browser: run scripts/install-deps (apt package chromium)")
        try await IntegrationFixture.with(redisDatabase: .dashboardProcess, migration: .withTheBinary) { fixture in
            let (redis, redisURL, url, database) = (fixture.redis, fixture.redisURL, fixture.databaseURL, fixture.database)
            let events = try await Self.addTraffic(redis: redis, database: database)

            let analytics = try PayFlowProcess(["analytics"], environment: [
                "REDIS_URL": redisURL, "DATABASE_URL": url, "HTTP_PORT": "0", "STREAM_BLOCK_MS": "200",
            ])
            var port: Int?
            try await eventually("analytics to listen", timeout: .seconds(180)) {
                port = MetricsProcessTests.listeningPort(in: analytics.output)
                return port != nil || !analytics.process.isRunning
            }
            let base = try #require(port.map { "http://127.0.0.1:\($0)" }, "no port in:\n\(analytics.output)")
            try await eventually("analytics to count every event", timeout: .seconds(60)) {
                let summary = try await Self.json(base + "/v1/stats/summary")
                let counted = (summary["totals"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["count"] as? Int ?? 0) }
                return counted == events
            }

            let page = try await Self.render(base + "/dashboard", browser: browser)
            #expect(page.contains("data-loaded=\"true\""), "the page's scripts did not finish:\n\(page.prefix(2000))")

            let summary = try await Self.json(base + "/v1/stats/summary")
            let alerts = try await Self.json(base + "/v1/stats/alerts?limit=10")
            let detection = try await Self.json(base + "/v1/stats/detection")
            let groups = try await Self.json(base + "/v1/stats/groups")

            #expect(Self.text(ofID: "events-total", in: page) == Self.grouped(events))
            #expect(Self.text(ofID: "alerts-total", in: page) == Self.grouped(summary["alerts_total"] as? Int ?? -1))
            #expect(Self.text(ofID: "mismatches-total", in: page) == Self.grouped(summary["mismatches_total"] as? Int ?? -1))
            #expect(Self.text(ofID: "blocked-accounts", in: page) == Self.grouped(summary["blocked_accounts"] as? Int ?? -1))
            var perType: [String: Int] = [:]
            for total in summary["totals"] as? [[String: Any]] ?? [] {
                perType[total["type"] as? String ?? "?", default: 0] += total["count"] as? Int ?? 0
            }
            for (type, count) in perType {
                #expect(page.contains("data-type=\"\(type)\" data-count=\"\(count)\""), "row of \(type) with \(count)")
            }
            for rule in alerts["per_rule"] as? [[String: Any]] ?? [] {
                #expect(page.contains("data-rule=\"\(rule["rule"] as? String ?? "?")\" data-count=\"\(rule["count"] as? Int ?? -1)\""))
            }
            let fraud = detection["fraud"] as? [String: Any] ?? [:]
            #expect(Self.text(ofID: "precision", in: page) == String(format: "%.3f", fraud["precision"] as? Double ?? -1))
            let reconciliation = detection["reconciliation"] as? [String: Any] ?? [:]
            #expect(Self.text(ofID: "reconciliation-found", in: page)
                == "\(Self.grouped(reconciliation["found"] as? Int ?? -1)) / \(Self.grouped(reconciliation["injected"] as? Int ?? -1))")
            for group in groups["groups"] as? [[String: Any]] ?? [] {
                #expect(page.contains("data-group=\"\(group["group"] as? String ?? "?")\""))
            }
            #expect((groups["groups"] as? [[String: Any]] ?? []).contains { $0["group"] as? String == "analytics" })

            analytics.signal(SIGTERM)
            #expect(try await analytics.waitForExit(timeout: .seconds(30)) == 0)
        }
    }

    /// 40 events of three types, 3 alerts (two of them on labelled fraud) and
    /// a mismatch; returns the number of events.
    static func addTraffic(redis: RedisConnection, database: PostgresConnection) async throws -> Int {
        var commands: [RedisCommand] = []
        var ids: [UUID] = []
        for index in 0..<40 {
            let type: EventType = index % 4 == 0 ? .topup : (index % 5 == 0 ? .refund : .payment)
            let id = UUID()
            ids.append(id)
            var details = PaymentEvent.Details()
            switch type {
            case .payment: details = .init(merchant: "m-1", country: "DE", ip: "10.0.0.1", device: "d-1")
            case .refund: details = .init(merchant: "m-1", originalPaymentID: UUID())
            default: details = .init(source: "card")
            }
            let event = PaymentEvent(
                id: id, type: type, occurredAt: EventTimestamp(microsecondsSinceEpoch: 1_780_000_000_000_000 + Int64(index) * 1_000_000),
                account: "acc-\(index % 3)", amount: 1_000 + Int64(index), currency: .eur, details: details
            )
            var add = RedisCommand("XADD", StreamNames.events, "*")
            for field in event.fields {
                add.append(field.name)
                add.append(field.value)
            }
            commands.append(add)
        }
        for (index, rule) in ["velocity", "velocity", "amount_spike"].enumerated() {
            let eventID = ids[index].uuidString.lowercased()
            commands.append(RedisCommand(
                "XADD", StreamNames.alerts, "*", "alert_id", "\(eventID):\(rule)", "event_id", eventID, "account", "acc-0",
                "rule", rule, "severity", "medium", "reason", "test", "detected_at", "2026-05-28T20:26:40.000000Z"
            ))
            try await database.query("""
                INSERT INTO fraud_alerts (alert_id, event_id, account, rule, severity, reason, detected_at)
                VALUES ($1 || ':' || $2, $1::uuid, 'acc-0', $2, 'medium', 'test', now())
                """, [eventID, rule])
        }
        let incident = UUID().uuidString.lowercased()
        for index in 0..<2 {
            try await database.query("""
                INSERT INTO generator_ground_truth (category, name, transaction_id, incident_id)
                VALUES ('fraud', 'velocity_burst', $1::uuid, $2::uuid)
                """, [ids[index].uuidString.lowercased(), incident])
        }
        commands.append(RedisCommand(
            "XADD", StreamNames.mismatches, "*", "mismatch_id", UUID().uuidString.lowercased(), "kind", "amount_mismatch",
            "transaction_id", ids[5].uuidString.lowercased(), "expected", "1000", "actual", "1005", "detected_at", "2026-05-28T20:26:41.000000Z"
        ))
        for reply in try await redis.pipeline(commands) { try reply.orThrow() }
        return 40
    }

    /// The DOM once a sample taken after the page opened is on it (the one a
    /// page gets first may be up to two seconds old).
    static func render(_ url: String, browser: String) async throws -> String {
        try await HeadlessChromium.with(browser) { chromium in
            try await chromium.withPage { page in
                try await page.navigate(url)
                let opened = try await page.evaluate("Date.now()") as? Int ?? 0
                try await page.waitUntil("a sample newer than the page", "Number(document.body.dataset.sampleAt) > \(opened)", timeout: .seconds(30))
                return try await page.string("document.documentElement.outerHTML") ?? ""
            }
        }
    }

    static func json(_ url: String) async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// The text of the element with this id (no nested elements).
    static func text(ofID id: String, in page: String) -> String? {
        guard let range = page.range(of: "id=\"\(id)\"[^>]*>([^<]*)<", options: .regularExpression) else { return nil }
        let match = page[range]
        guard let start = match.firstIndex(of: ">") else { return nil }
        return String(match[match.index(after: start)...].dropLast())
    }

    /// As the page's `toLocaleString("en-US")` writes it.
    static func grouped(_ number: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.locale = Locale(identifier: "en_US")
        return formatter.string(from: NSNumber(value: number)) ?? "\(number)"
    }
}
