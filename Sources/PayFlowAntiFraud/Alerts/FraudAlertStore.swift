import Metrics
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// Writes alerts to `fraud_alerts` and publishes them on `payflow:alerts`,
/// at least once and without loss, with the table as the stream's outbox
/// (``StreamOutbox``):
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
    private let outbox: StreamOutbox

    /// `stream` is `payflow:alerts`; tests pass a name of their own.
    public init(database: PostgresConnection, redis: RedisConnection, stream: String = StreamNames.alerts) {
        self.database = database
        self.outbox = StreamOutbox(
            table: "fraud_alerts", keyColumn: "alert_id", keyType: "text",
            stream: stream, redis: redis
        )
    }

    /// Records and publishes `alerts`; returns how many rows were new.
    @discardableResult
    public func record(_ alerts: [FraudAlert]) async throws -> Int {
        guard !alerts.isEmpty else { return 0 }
        let notices = alerts.map(\.notice)
        let inserted = try await self.insert(notices)
        for rule in inserted {
            Counter(label: "payflow_fraud_alerts_total", dimensions: [("rule", rule)]).increment()
        }
        let unpublished = try await self.outbox.unpublished(among: notices.map(\.alertID), in: self.database)
        try await self.outbox.publish(
            notices.filter { unpublished.contains($0.alertID) }.map { StreamOutbox.Entry(key: $0.alertID, fields: $0.fields) },
            in: self.database
        )
        return inserted.count
    }

    /// Multi-row inserts; returns the rules of the rows that were new, so
    /// the counter counts alerts, not deliveries.
    private func insert(_ notices: [AlertNotice]) async throws -> [String] {
        try await self.database.insertRows(
            into: "fraud_alerts",
            columns: ["alert_id", "event_id", "account", "rule", "severity", "reason", "detected_at"],
            rows: notices.map { notice -> [(any PostgresEncodable)?] in
                [notice.alertID, notice.eventID, notice.account, notice.rule, notice.severity, notice.reason, notice.detectedAt.description]
            },
            onConflict: "ON CONFLICT (alert_id) DO NOTHING",
            returning: "rule"
        ).map { try $0.decode("rule", as: String.self) }
    }
}
