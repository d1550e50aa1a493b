import Metrics
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis

/// Writes alerts to `fraud_alerts` and publishes them on `payflow:alerts`,
/// at least once and without loss, with the table as an outbox:
///
/// 1. insert the rows (`ON CONFLICT (alert_id) DO NOTHING`): durable first;
/// 2. `XADD` every alert of the batch whose row is not marked published;
/// 3. mark those rows published.
///
/// A failure anywhere throws, the batch is not acked, and the redelivery
/// finds its rows and publishes whatever is still unmarked. A crash between
/// 2 and 3 publishes an alert twice; consumers dedupe by `alert_id`.
/// Once marked, a row is never published again, whoever evaluates its event.
public struct FraudAlertStore: Sendable {
    private let database: PostgresConnection
    private let redis: RedisConnection
    private let streamMaxLength: Int
    /// `payflow:alerts`; tests pass a name of their own.
    private let stream: String

    public init(database: PostgresConnection, redis: RedisConnection, streamMaxLength: Int, stream: String = StreamNames.alerts) {
        self.database = database
        self.redis = redis
        self.streamMaxLength = streamMaxLength
        self.stream = stream
    }

    /// Records and publishes `alerts`; returns how many rows were new.
    @discardableResult
    public func record(_ alerts: [FraudAlert]) async throws -> Int {
        guard !alerts.isEmpty else { return 0 }
        let inserted = try await self.insert(alerts)
        for rule in inserted {
            Counter(label: "payflow_fraud_alerts_total", dimensions: [("rule", rule)]).increment()
        }
        let ids = Self.arrayLiteral(alerts.map(\.alertID))
        let unpublished = Set(
            try await self.database.query(
                "SELECT alert_id FROM fraud_alerts WHERE alert_id = ANY($1::text[]) AND published_at IS NULL", [ids]
            ).rows.map { try $0.decode("alert_id", as: String.self) }
        )
        let toPublish = alerts.filter { unpublished.contains($0.alertID) }
        guard !toPublish.isEmpty else { return inserted.count }
        let commands = toPublish.map { alert in
            var command = RedisCommand("XADD", self.stream, "MAXLEN", "~", self.streamMaxLength, "*")
            for field in alert.notice.fields {
                command.append(field.name)
                command.append(field.value)
            }
            return command
        }
        for reply in try await self.redis.pipeline(commands) { try reply.orThrow() }
        try await self.database.query(
            "UPDATE fraud_alerts SET published_at = now() WHERE alert_id = ANY($1::text[]) AND published_at IS NULL",
            [Self.arrayLiteral(toPublish.map(\.alertID))]
        )
        return inserted.count
    }

    /// One multi-row insert; returns the rules of the rows that were new, so
    /// the counter counts alerts, not deliveries.
    private func insert(_ alerts: [FraudAlert]) async throws -> [String] {
        var rules: [String] = []
        // 7 parameters per row; stay far below PostgreSQL's 65,535.
        var start = 0
        while start < alerts.count {
            let chunk = alerts[start..<min(start + 5_000, alerts.count)]
            start += chunk.count
            var sql = "INSERT INTO fraud_alerts (alert_id, event_id, account, rule, severity, reason, detected_at) VALUES "
            var parameters: [(any PostgresEncodable)?] = []
            for (index, alert) in chunk.enumerated() {
                let base = index * 7
                sql += index == 0 ? "" : ", "
                sql += "($\(base + 1), $\(base + 2)::uuid, $\(base + 3), $\(base + 4), $\(base + 5), $\(base + 6), $\(base + 7)::timestamptz)"
                parameters += [
                    alert.alertID, alert.eventID.uuidString.lowercased(), alert.account, alert.rule.ruleName,
                    alert.severity, alert.reason, alert.detectedAt.description,
                ] as [(any PostgresEncodable)?]
            }
            sql += " ON CONFLICT (alert_id) DO NOTHING RETURNING rule"
            rules += try await self.database.query(sql, parameters).rows.map { try $0.decode("rule", as: String.self) }
        }
        return rules
    }

    /// A PostgreSQL array literal of text values, bound as one parameter.
    static func arrayLiteral(_ values: [String]) -> String {
        let quoted = values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}
