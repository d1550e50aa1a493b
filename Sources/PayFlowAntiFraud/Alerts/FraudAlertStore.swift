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
/// 2. claim the rows of the batch nobody has published or is publishing;
/// 3. `XADD` those, and mark them published with their entry ids.
///
/// The claim matters because re-judging raises the same alert again: a
/// payment judged by replica A is judged again by replica B when an event
/// before it reaches B, so both record the alert at once. Without the claim
/// both saw the row unpublished and both published it (9 to 82 doubles per
/// ~700 alerts in the compose runs of three replicas).
///
/// A failure anywhere throws, the batch is not acked, and the redelivery
/// finds its rows and publishes whatever is still unmarked; a claim whose
/// holder died is taken over by ``StreamOutboxRepair``. A crash between the
/// `XADD` and the mark publishes an alert twice; consumers dedupe by
/// `alert_id`. Once marked, a row is never published again, whoever
/// evaluates its event, unless a Redis restart lost its entry.
public struct FraudAlertStore: Sendable {
    private let database: PostgresConnection
    /// The outbox of `fraud_alerts`, for the service's ``StreamOutboxRepair``.
    public let outbox: StreamOutbox
    private let stages: BatchStageTimers?

    /// `stream` is `payflow:alerts`; tests pass a name of their own. `stages`
    /// times the insert and the outbox's steps (`alerts_insert`, `outbox_*`).
    public init(database: PostgresConnection, redis: RedisConnection, stream: String = StreamNames.alerts, stages: BatchStageTimers? = nil) {
        self.database = database
        self.stages = stages
        self.outbox = StreamOutbox(
            table: "fraud_alerts", keyColumn: "alert_id", keyType: "text",
            stream: stream, redis: redis, stages: stages,
            load: Self.load
        )
    }

    /// The stream entries of stored alerts, for the ones published again.
    static func load(_ keys: [String], from database: PostgresConnection) async throws -> [StreamOutbox.Entry] {
        let rows = try await database.query(
            """
            SELECT alert_id, event_id::text AS event_id, account, rule, severity, reason,
                   to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS detected_at
            FROM fraud_alerts WHERE alert_id = ANY ($1::text[]) ORDER BY detected_at, alert_id
            """,
            [PostgresArrayLiteral.text(keys)]
        ).rows
        return try rows.map { row in
            let detectedAt = try row.decode("detected_at", as: String.self)
            guard let time = EventTimestamp(rfc3339: detectedAt) else {
                throw PostgresError(code: .decoding, message: "fraud_alerts.detected_at '\(detectedAt)' is not RFC 3339")
            }
            let notice = AlertNotice(
                alertID: try row.decode("alert_id", as: String.self), eventID: try row.decode("event_id", as: String.self),
                account: try row.decode("account", as: String.self), rule: try row.decode("rule", as: String.self),
                severity: try row.decode("severity", as: String.self), reason: try row.decode("reason", as: String.self),
                detectedAt: time
            )
            return StreamOutbox.Entry(key: notice.alertID, fields: notice.fields)
        }
    }

    /// Records and publishes `alerts`; returns how many rows were new.
    @discardableResult
    public func record(_ alerts: [FraudAlert]) async throws -> Int {
        guard !alerts.isEmpty else { return 0 }
        let notices = alerts.map(\.notice)
        let inserting = ContinuousClock.now
        let inserted = try await self.insert(notices)
        self.stages?.record("alerts_insert", since: inserting)
        for rule in inserted {
            Counter(label: "payflow_fraud_alerts_total", dimensions: [("rule", rule)]).increment()
        }
        try await self.outbox.publishUnclaimed(notices.map { StreamOutbox.Entry(key: $0.alertID, fields: $0.fields) }, in: self.database)
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
