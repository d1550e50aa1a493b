import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Every service's `/metrics` page, after real work, must be valid Prometheus
/// text: `promtool check metrics` (Debian's `prometheus` package, installed by
/// scripts/install-deps) reads it. Redis database ``RedisTestDatabase/metricsProcess``.
@Suite("payflow services: /metrics passes promtool", .serialized)
struct MetricsProcessTests {
    static let services = ["anti-fraud", "reconciliation", "audit-log", "notification", "analytics"]

    @Test(arguments: Self.services)
    func metricsPagePassesPromtool(service: String) async throws {
        let promtool = try #require(
            ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool not found: run scripts/install-deps (apt package prometheus)"
        )
        try await IntegrationFixture.with(redisDatabase: .metricsProcess, migration: .withTheBinary) { fixture in
            let (redis, redisURL, url) = (fixture.redis, fixture.redisURL, fixture.databaseURL)
            var commands: [RedisCommand] = []
            for index in 0..<50 {
                let event = PaymentEvent(
                    id: UUID(), type: .payment,
                    occurredAt: EventTimestamp(microsecondsSinceEpoch: 1_780_000_000_000_000 + Int64(index) * 1_000_000),
                    account: "acc-\(index % 5)", amount: 1_000 + Int64(index), currency: .eur,
                    details: .init(merchant: "m-\(index % 3)", country: "DE", ip: "10.0.0.\(index)", device: "d-1")
                )
                var add = RedisCommand("XADD", StreamNames.events, "*")
                for field in event.fields {
                    add.append(field.name)
                    add.append(field.value)
                }
                commands.append(add)
            }
            commands.append(RedisCommand("XADD", StreamNames.events, "*", "type", "nonsense"))
            for reply in try await redis.pipeline(commands) { try reply.orThrow() }

            let process = try PayFlowProcess([service], environment: [
                "REDIS_URL": redisURL, "DATABASE_URL": url, "HTTP_PORT": "0", "LOG_LEVEL": "info", "LOG_FORMAT": "json",
                "STREAM_BLOCK_MS": "200", "CLAIM_INTERVAL_MS": "200",
            ])
            var port: Int?
            try await eventually("\(service) to listen", timeout: .seconds(180)) {
                port = Self.listeningPort(in: process.output)
                return port != nil || !process.process.isRunning
            }
            let metricsURL = try #require(port.map { URL(string: "http://127.0.0.1:\($0)/metrics")! }, "no port in:\n\(process.output)")
            var page = ""
            try await eventually("\(service) to process every entry and sample its lag", timeout: .seconds(60)) {
                page = try await Self.fetch(metricsURL)
                // audit-log keeps malformed entries; the others dead-letter the one we added.
                let outcome = service == "audit-log" ? "outcome=\"acked\"" : "outcome=\"dead_lettered\""
                return page.contains("payflow_group_lag{") && page.contains(outcome)
            }
            let health = try await Self.fetch(metricsURL.deletingLastPathComponent().appendingPathComponent("health"))
            #expect(health.contains("\"redis\":\"ok\"") && health.contains("\"postgres\":\"ok\""), "\(service) /health: \(health)")
            // The XADD-to-ack histograms make bench merges: every acked event is in them.
            let latencyURL = metricsURL.deletingLastPathComponent().appendingPathComponent("latency")
            let (latencyData, _) = try await URLSession.shared.data(from: latencyURL)
            let reports = try JSONDecoder().decode([EntryLatencyReport].self, from: latencyData)
            let events = try #require(reports.first { $0.stream == StreamNames.events }, "\(service) /latency: \(reports)")
            #expect(events.group == service)
            #expect(events.count >= 50 && events.p50 <= events.p99 && events.p99 <= events.max)
            #expect(events.values.map { $0[1] }.reduce(0, +) == events.count)
            process.signal(SIGTERM)
            #expect(try await process.waitForExit(timeout: .seconds(30)) == 0)

            for name in ["payflow_stream_entries_total", "payflow_batch_size_bucket", "payflow_batch_handle_duration_seconds_bucket",
                         "payflow_entry_latency_seconds_bucket", "payflow_group_pending", "payflow_group_oldest_pending_age_seconds"] {
                #expect(page.contains(name), "\(service): no \(name) in /metrics")
            }
            if service == "analytics" {
                // The precision gauge exists from the first pass (NaN with no alert), so a rule reading it never reads nothing.
                for scope in ["current_run", "all_runs"] {
                    #expect(page.contains("payflow_fraud_precision{scope=\"\(scope)\"}"), "analytics: no precision gauge for \(scope)")
                    #expect(page.contains("payflow_fraud_scored_alerts{scope=\"\(scope)\"} 0"), "analytics: scored alerts of \(scope)")
                }
            }
            // LOG_FORMAT=json: every line the process wrote is one JSON object
            // with the fields a log collector indexes.
            let lines = process.output.split(separator: "\n")
            #expect(lines.count >= 3, "\(service) logged: \(process.output)")
            for line in lines {
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object != nil && ["time", "level", "service", "message"].allSatisfy { object?[$0] is String },
                        "\(service): not a JSON log line: \(line)")
            }
            #expect(lines.contains { $0.contains(#""consumer":"#) && $0.contains(#""group":"\#(service)""#) },
                    "\(service): no line carries its consumer and group")
            let check = try await Self.promtoolCheck(page, promtool: promtool)
            #expect(check.status == 0, "\(service): promtool check metrics failed:\n\(check.output)")
        }
    }

    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
        return Int(log[range].split(separator: ":").last ?? "")
    }

    static func fetch(_ url: URL) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: url)
        return String(decoding: data, as: UTF8.self)
    }

    static func promtoolCheck(_ page: String, promtool: String) async throws -> (status: Int32, output: String) {
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: promtool), ["check", "metrics"], input: Data(page.utf8), errorOutput: .merged
        )
        return (result.status, result.outputText)
    }
}
