import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// Records a batch of facts and folds the new ones into the aggregates, in
/// one SQL statement.
///
/// Why one statement, with data-modifying CTEs:
/// - exactness: the aggregates are fed only from the `RETURNING` of the
///   fact inserts (`ON CONFLICT DO NOTHING`), i.e. from the facts this very
///   statement added. A redelivered entry, a second entry carrying an id
///   already recorded, or a replica racing on the same id inserts no fact and
///   so adds nothing to any aggregate. A replica that loses the race for an id
///   waits on the winner's uncommitted row and then sees the conflict;
/// - atomicity: facts and aggregates commit or roll back together, so a crash
///   or a deadlock can never leave a fact recorded without its counts (which
///   the retry could not repair, since the fact would then conflict);
/// - sharing: a single statement needs no transaction block, so the read loop
///   and the claim loop of ``ConsumerGroupService`` can share one
///   ``PostgresConnection`` (see ``ReconciliationHandler`` for the same
///   argument).
///
/// Lock order: every insert sorts its rows by primary key, so two replicas
/// whose batches overlap take row locks in the same order and wait instead of
/// deadlocking. PostgreSQL detects a deadlock if one happens anyway (40P01)
/// and rolls the statement back; the handler then throws and the runtime
/// retries the batch, which is safe for the reasons above.
public struct FactRecorder: Sendable {
    let database: PostgresConnection

    public init(database: PostgresConnection) {
        self.database = database
    }

    /// How many facts of each kind the statement inserted (the rest were
    /// already there).
    public struct Recorded: Sendable, Equatable {
        public var events: Int
        public var alerts: Int
        public var mismatches: Int

        public init(events: Int = 0, alerts: Int = 0, mismatches: Int = 0) {
            self.events = events
            self.alerts = alerts
            self.mismatches = mismatches
        }
    }

    /// Records `deliveries` (any mix of the three kinds) at once.
    public func record(_ deliveries: [Delivery<AnalyticsMessage>]) async throws -> Recorded {
        guard !deliveries.isEmpty else { return Recorded() }
        var events: [(StreamEntry, PaymentEvent)] = []
        var alerts: [(StreamEntry, AlertNotice)] = []
        var mismatches: [(StreamEntry, MismatchNotice)] = []
        for delivery in deliveries {
            switch delivery.message {
            case .event(let event): events.append((delivery.entry, event))
            case .alert(let alert): alerts.append((delivery.entry, alert))
            case .mismatch(let mismatch): mismatches.append((delivery.entry, mismatch))
            }
        }
        let parameters: [(any PostgresEncodable)?] = [
            PostgresArrayLiteral.text(events.map { $0.1.id.uuidString.lowercased() }),
            PostgresArrayLiteral.text(events.map { $0.1.type.rawValue }),
            PostgresArrayLiteral.text(events.map { $0.1.account }),
            PostgresArrayLiteral.integers(events.map { $0.1.amount }),
            PostgresArrayLiteral.text(events.map { $0.1.currency.code }),
            PostgresArrayLiteral.text(events.map { $0.1.occurredAt.description }),
            PostgresArrayLiteral.text(events.map { $0.0.stream }),
            PostgresArrayLiteral.text(events.map { $0.0.id.description }),

            PostgresArrayLiteral.text(alerts.map { $0.1.alertID }),
            PostgresArrayLiteral.text(alerts.map { $0.1.eventID }),
            PostgresArrayLiteral.text(alerts.map { $0.1.account }),
            PostgresArrayLiteral.text(alerts.map { $0.1.rule }),
            PostgresArrayLiteral.text(alerts.map { $0.1.severity }),
            PostgresArrayLiteral.text(alerts.map { $0.1.reason }),
            PostgresArrayLiteral.text(alerts.map { $0.1.detectedAt.description }),
            PostgresArrayLiteral.text(alerts.map { $0.0.stream }),
            PostgresArrayLiteral.text(alerts.map { $0.0.id.description }),

            PostgresArrayLiteral.text(mismatches.map { $0.1.mismatchID }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.kind }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.transactionID }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.expected }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.actual }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.detectedAt.description }),
            PostgresArrayLiteral.text(mismatches.map { $0.0.stream }),
            PostgresArrayLiteral.text(mismatches.map { $0.0.id.description }),
        ]
        let result = try await self.database.query(Self.recordStatement, parameters)
        guard let row = result.first else { return Recorded() }
        return Recorded(
            events: try row.decode(0, as: Int.self),
            alerts: try row.decode(1, as: Int.self),
            mismatches: try row.decode(2, as: Int.self)
        )
    }

    /// `date_trunc` of a `timestamptz` follows the session's TimeZone; buckets
    /// are UTC minutes whatever the server's setting.
    static func utcMinute(_ column: String) -> String {
        "date_trunc('minute', \(column) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
    }

    /// $1–$8 events (id, type, account, amount, currency, occurred_at, stream,
    /// entry id), $9–$17 alerts (alert id, event id, account, rule, severity,
    /// reason, detected_at, stream, entry id), $18–$25 mismatches (mismatch
    /// id, kind, transaction id, expected, actual, detected_at, stream, entry
    /// id). Returns one row: the facts inserted per kind.
    ///
    /// `DISTINCT ON` keeps one row per id within the batch (the same event in
    /// two entries read together); the fact insert then drops the ids already
    /// recorded. Blocked status is "latest occurred_at wins": the upsert only
    /// overwrites an older change, so arrival order does not matter.
    static let recordStatement = """
        WITH event_batch AS (
            SELECT DISTINCT ON (event_id) *
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[])
                AS b (event_id, type, account, amount, currency, occurred_at, stream, entry_id)
            ORDER BY event_id, entry_id
        ),
        new_events AS (
            INSERT INTO analytics_events (event_id, type, account, amount, currency, occurred_at, stream, entry_id)
            SELECT event_id, type, account, amount, currency, occurred_at, stream, entry_id FROM event_batch ORDER BY event_id
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id, type, account, amount, currency, occurred_at
        ),
        event_minutes AS (
            INSERT INTO analytics_event_minutes AS t (minute, type, currency, event_count, amount_sum, amount_min, amount_max)
            SELECT \(utcMinute("occurred_at")), type, currency, count(*), sum(amount), min(amount), max(amount)
            FROM new_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (minute, type, currency) DO UPDATE SET
                event_count = t.event_count + excluded.event_count,
                amount_sum = t.amount_sum + excluded.amount_sum,
                amount_min = least(t.amount_min, excluded.amount_min),
                amount_max = greatest(t.amount_max, excluded.amount_max)
        ),
        spend AS (
            INSERT INTO analytics_account_spend AS t (account, currency, payment_count, amount_sum)
            SELECT account, currency, count(*), sum(amount)
            FROM new_events WHERE type = 'payment' GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (account, currency) DO UPDATE SET
                payment_count = t.payment_count + excluded.payment_count,
                amount_sum = t.amount_sum + excluded.amount_sum
        ),
        status AS (
            INSERT INTO analytics_account_status AS t (account, blocked, changed_at, event_id)
            SELECT DISTINCT ON (account) account, type = 'account_blocked', occurred_at, event_id
            FROM new_events WHERE type IN ('account_blocked', 'account_unblocked')
            ORDER BY account, occurred_at DESC, event_id DESC
            ON CONFLICT (account) DO UPDATE SET
                blocked = excluded.blocked, changed_at = excluded.changed_at, event_id = excluded.event_id
            WHERE (excluded.changed_at, excluded.event_id) > (t.changed_at, t.event_id)
        ),
        alert_batch AS (
            SELECT DISTINCT ON (alert_id) *
            FROM unnest($9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::text[], $17::text[])
                AS a (alert_id, event_id, account, rule, severity, reason, detected_at, stream, entry_id)
            ORDER BY alert_id, entry_id
        ),
        new_alerts AS (
            INSERT INTO analytics_alerts (alert_id, event_id, account, rule, severity, reason, detected_at, stream, entry_id)
            SELECT alert_id, event_id, account, rule, severity, reason, detected_at, stream, entry_id FROM alert_batch ORDER BY alert_id
            ON CONFLICT (alert_id) DO NOTHING
            RETURNING rule, detected_at
        ),
        alert_minutes AS (
            INSERT INTO analytics_alert_minutes AS t (minute, rule, alert_count)
            SELECT \(utcMinute("detected_at")), rule, count(*) FROM new_alerts GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (minute, rule) DO UPDATE SET alert_count = t.alert_count + excluded.alert_count
        ),
        mismatch_batch AS (
            SELECT DISTINCT ON (mismatch_id) *
            FROM unnest($18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::timestamptz[], $24::text[], $25::text[])
                AS m (mismatch_id, kind, transaction_id, expected, actual, detected_at, stream, entry_id)
            ORDER BY mismatch_id, entry_id
        ),
        new_mismatches AS (
            INSERT INTO analytics_mismatches (mismatch_id, kind, transaction_id, expected, actual, detected_at, stream, entry_id)
            SELECT mismatch_id, kind, transaction_id, expected, actual, detected_at, stream, entry_id FROM mismatch_batch ORDER BY mismatch_id
            ON CONFLICT (mismatch_id) DO NOTHING
            RETURNING kind, detected_at
        ),
        mismatch_minutes AS (
            INSERT INTO analytics_mismatch_minutes AS t (minute, kind, mismatch_count)
            SELECT \(utcMinute("detected_at")), kind, count(*) FROM new_mismatches GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (minute, kind) DO UPDATE SET mismatch_count = t.mismatch_count + excluded.mismatch_count
        )
        SELECT (SELECT count(*) FROM new_events), (SELECT count(*) FROM new_alerts), (SELECT count(*) FROM new_mismatches)
        """
}
