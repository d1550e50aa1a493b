import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `payflow notification` binary with the real stream names, in Redis
/// database ``RedisTestDatabase/notificationProcess`` (its own: the names are fixed) and a fresh PostgreSQL database.
@Suite("payflow notification process")
struct NotificationProcessTests {
    @Test func notifiesEveryEventAndAlertOnTheLogAndExitsZeroOnSigterm() async throws {
        try await IntegrationFixture.with(redisDatabase: .notificationProcess, migration: .withTheBinary) { fixture in
            let (redis, redisURL, url, database) = (fixture.redis, fixture.redisURL, fixture.databaseURL, fixture.database)

            var ids: [String] = []
            for type in EventType.allCases {
                let details: PaymentEvent.Details = switch type {
                case .payment: .init(merchant: "mer-1", country: "FR", ip: "10.0.0.2", device: "dev-2")
                case .refund: .init(merchant: "mer-1", originalPaymentID: UUID())
                case .topup: .init(source: "bank_transfer")
                case .accountBlocked, .accountUnblocked: .init(reason: "test")
                }
                let event = PaymentEvent(
                    id: UUID(), type: type, occurredAt: .now(), account: "acc-000042", amount: type.isTransaction ? 990 : 0,
                    currency: .eur, details: details
                )
                var command = RedisCommand("XADD", StreamNames.events, "*")
                for field in event.fields { command.append(field.name); command.append(field.value) }
                try await redis.send(command)
                ids.append(event.id.uuidString.lowercased())
            }
            let eventID = UUID().uuidString.lowercased()
            try await redis.send(RedisCommand(
                "XADD", StreamNames.alerts, "*", "alert_id", "\(eventID):velocity", "event_id", eventID, "account", "acc-000042",
                "rule", "velocity", "severity", "high", "reason", "burst", "detected_at", EventTimestamp.now().description
            ))
            ids.append("\(eventID):velocity")

            let port = Int.random(in: 30_000...39_999)
            let service = try PayFlowProcess(["notification"], environment: [
                "REDIS_URL": redisURL, "DATABASE_URL": url, "HTTP_PORT": String(port), "LOG_LEVEL": "info", "STREAM_BLOCK_MS": "200",
                "NOTIFICATION_CHANNEL": "log",
            ])
            do {
                try await eventually("every notification delivered") {
                    try await database.query("SELECT count(*) FROM notifications WHERE status = 'delivered'").first?.decode(0, as: Int.self) == ids.count
                }
            } catch {
                // What the process did, which a timeout alone does not say.
                let rows = try? await database.query("SELECT status::text, count(*)::text FROM notifications GROUP BY status").rows
                    .map { "\(try $0.decode(0, as: String.self)) \(try $0.decode(1, as: String.self))" }
                Issue.record("\(error); rows by status: \(rows ?? []); its output:\n\(service.output.suffix(6000))")
                throw error
            }
            // One delivered notification of each kind, counted on /metrics.
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            let metrics = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("payflow_notifications_total{") }
            for kind in ["payment_receipt", "refund", "topup", "account_blocked", "account_unblocked", "fraud_alert"] {
                #expect(metrics.contains { $0.contains("kind=\"\(kind)\"") && $0.contains("status=\"delivered\"") && $0.contains("channel=\"log\"") && $0.hasSuffix(" 1") },
                        "\(kind) in \(metrics)")
            }
            service.signal(SIGTERM)
            let status = try await service.waitForExit(timeout: .seconds(30))
            #expect(status == 0, "output:\n\(service.output)")
            let sources = try await database.query("SELECT source_id FROM notifications").rows.map { try $0.decode(0, as: String.self) }
            #expect(Set(sources) == Set(ids))
            // One log line per notification, each naming its notification and event.
            let lines = service.output.split(separator: "\n").filter { $0.contains("notification_id=") }
            #expect(lines.count == ids.count, "output:\n\(service.output)")
            for id in ids.dropLast() { #expect(lines.contains { $0.contains("event_id=\(id)") }) }
            for stream in [StreamNames.events, StreamNames.alerts] {
                let pending = try await redis.send(RedisCommand("XPENDING", stream, "notification"))
                #expect(pending.array?.first?.integer == 0)
            }
        }
    }

    @Test func theWebhookChannelWithoutAURLStopsAtStartUpNamingTheVariable() async throws {
        let result = try await PayFlowProcess.run(["notification"], environment: [
            "NOTIFICATION_CHANNEL": "webhook", "WEBHOOK_SECRET": "s", "HTTP_PORT": "0",
        ])
        #expect(result.status != 0)
        #expect(result.output.contains("WEBHOOK_URL"), "output:\n\(result.output)")
    }
}
