import Metrics
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// Writes alerts to `fraud_alerts` and publishes them on `payflow:alerts`,
/// at least once and without loss, with the table as the stream's outbox
/// (``StreamOutbox``):
///
/// 1. one statement inserts the rows (`ON CONFLICT (alert_id) DO NOTHING`)
///    already claimed (`publishing_at`), claims the rows of the batch that
///    an earlier delivery left unpublished and unclaimed, and stores the
///    batch's provisional verdicts: one commit, durable first;
/// 2. `XADD` the claimed rows, and mark them published with their entry ids.
///
/// Why one statement: under load a batch is a chain of round trips, each
/// commit waiting for its WAL flush and each wake-up for a core; anti-fraud
/// lagged with the insert, the claim and the verdicts as three commits.
///
/// The claim matters because re-judging raises the same alert again: a
/// payment judged by replica A is judged again by replica B when an event
/// before it reaches B, so both record the alert at once. Without the claim
/// both saw the row unpublished and both published it (9 to 82 doubles per
/// ~700 alerts in the compose runs of three replicas). In one statement the
/// claim cannot see a row another transaction inserts meanwhile (one
/// snapshot), and the insert of that row does nothing: the row is its
/// inserter's to publish, as when the other one holds the claim.
///
/// A failure anywhere throws, the batch is not acked, and the redelivery
/// finds its rows and publishes whatever is still unmarked (a claim of its
/// own older than the lease is taken again); a claim whose holder died is
/// taken over by ``StreamOutboxRepair``. A crash between the `XADD` and the
/// mark publishes an alert twice; consumers dedupe by `alert_id`. Once
/// marked, a row is never published again, whoever evaluates its event,
/// unless a Redis restart lost its entry.
public struct FraudAlertStore: Sendable {
    private let database: PostgresConnection
    /// The outbox of `fraud_alerts`, for the service's ``StreamOutboxRepair``.
    public let outbox: StreamOutbox
    private let stages: BatchStageTimers?
    /// ``writeStatement(claim:verdicts:)`` without and with the verdicts.
    private let write: String
    private let writeWithVerdicts: String

    /// `stream` is `payflow:alerts`; tests pass a name of their own. Each
    /// alert goes to its account's shard of it (`shards`, `EVENT_SHARDS`).
    /// `stages` times the insert and the outbox's steps (`alerts_insert`,
    /// `outbox_*`).
    public init(
        database: PostgresConnection,
        redis: any RedisClient,
        stream: String = StreamNames.alerts,
        shards: StreamShards = .unsharded,
        stages: BatchStageTimers? = nil
    ) {
        self.database = database
        self.stages = stages
        self.outbox = StreamOutbox(
            table: "fraud_alerts", keyColumn: "alert_id", keyType: "text",
            stream: stream, shards: shards, redis: redis, stages: stages,
            load: Self.load
        )
        self.write = Self.writeStatement(claim: self.outbox.claimStatement, verdicts: nil)
        self.writeWithVerdicts = Self.writeStatement(
            claim: self.outbox.claimStatement, verdicts: ProvisionalVerdictStore.insertStatement(firstParameter: 8)
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
            return StreamOutbox.Entry(key: notice.alertID, shardKey: notice.account, fields: notice.fields)
        }
    }

    /// Records and publishes `alerts`, storing `provisional` verdicts in the
    /// same statement; returns how many alert rows were new.
    @discardableResult
    public func record(_ alerts: [FraudAlert], provisional: [ProvisionalVerdict] = []) async throws -> Int {
        guard !alerts.isEmpty else {
            try await ProvisionalVerdictStore(database: self.database).record(provisional)
            return 0
        }
        let notices = alerts.map(\.notice)
        let writing = ContinuousClock.now
        var parameters: [(any PostgresEncodable)?] = [
            PostgresArrayLiteral.text(notices.map(\.alertID)),
            PostgresArrayLiteral.text(notices.map(\.eventID)),
            PostgresArrayLiteral.text(notices.map(\.account)),
            PostgresArrayLiteral.text(notices.map(\.rule)),
            PostgresArrayLiteral.text(notices.map(\.severity)),
            PostgresArrayLiteral.text(notices.map(\.reason)),
            PostgresArrayLiteral.text(notices.map(\.detectedAt.description)),
        ]
        let rows: [PostgresRow]
        if provisional.isEmpty {
            rows = try await self.database.query(self.write, parameters).rows
        } else {
            parameters += ProvisionalVerdictStore.insertParameters(provisional)
            rows = try await self.database.query(self.writeWithVerdicts, parameters).rows
        }
        self.stages?.record("alerts_insert", since: writing)
        var claimed: Set<String> = []
        var inserted = 0
        for row in rows {
            claimed.insert(try row.decode(0, as: String.self))
            if let rule = try row.decode(1, as: String?.self) {
                inserted += 1
                Counter(label: "payflow_fraud_alerts_total", dimensions: [("rule", rule)]).increment()
            }
        }
        // A batch may carry one row twice (two events re-judged one payment):
        // its first entry is the one published.
        var seen: Set<String> = []
        let mine = notices.filter { claimed.contains($0.alertID) && seen.insert($0.alertID).inserted }
        try await self.outbox.publishClaimed(mine.map { StreamOutbox.Entry(key: $0.alertID, shardKey: $0.account, fields: $0.fields) }, in: self.database)
        return inserted
    }

    /// Step 1 as one statement: `$1`–`$7` the alerts' columns as arrays;
    /// with verdicts, `$8`–`$17` ``ProvisionalVerdictStore``'s insert. Returns
    /// `(alert_id, rule)` per new row and `(alert_id, NULL)` per row claimed
    /// from an earlier delivery. Rows a sibling sub-statement inserts are not
    /// seen by the claim (one snapshot), so no row comes back twice.
    static func writeStatement(claim: String, verdicts: String?) -> String {
        """
        WITH inserted AS (
            INSERT INTO fraud_alerts (alert_id, event_id, account, rule, severity, reason, detected_at, publishing_at)
            SELECT alert_id, event_id, account, rule, severity, reason, detected_at, clock_timestamp()
            FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
                AS v (alert_id, event_id, account, rule, severity, reason, detected_at)
            ON CONFLICT (alert_id) DO NOTHING
            RETURNING alert_id, rule
        ), claimed AS (
            \(claim)
        )\(verdicts.map { ", verdicts AS (\n\($0)\n)" } ?? "")
        SELECT alert_id, rule FROM inserted
        UNION ALL
        SELECT c.*, NULL FROM claimed AS c (alert_id)
        """
    }
}
