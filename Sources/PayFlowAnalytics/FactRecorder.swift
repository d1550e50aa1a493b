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

            // Empty for the types without one; the statement reads '' as none.
            PostgresArrayLiteral.text(events.map { $0.1.details.merchant ?? "" }),
            PostgresArrayLiteral.text(events.map { $0.1.details.country ?? "" }),
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
    /// id), $26–$27 the events' merchant and country ('' for none). Returns
    /// one row: the facts inserted per kind.
    ///
    /// `DISTINCT ON` keeps one row per id within the batch (the same event in
    /// two entries read together); the fact insert then drops the ids already
    /// recorded. Blocked status is "latest occurred_at wins": the upsert only
    /// overwrites an older change, so arrival order does not matter.
    ///
    /// Breakdowns (db/0016): the new events with a merchant or a country and
    /// the new alerts meet in one upsert of `analytics_breakdown_links` per
    /// event id. What it returns is the row after this statement; with what
    /// this batch brought (`link_batch`) that tells what is new for the
    /// breakdown: the event itself (when it is in `new_events`), and the
    /// alerts that now have both an event and a count. Whichever of event and
    /// alert commits second adds the alert, so it is counted once.
    static let recordStatement = """
        WITH event_batch AS (
            SELECT DISTINCT ON (event_id) *
            FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[],
                        $26::text[], $27::text[])
                AS b (event_id, type, account, amount, currency, occurred_at, stream, entry_id, merchant, country)
            ORDER BY event_id, entry_id
        ),
        new_events AS (
            INSERT INTO analytics_events (event_id, type, account, amount, currency, occurred_at, stream, entry_id)
            SELECT event_id, type, account, amount, currency, occurred_at, stream, entry_id FROM event_batch ORDER BY event_id
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id, type, account, amount, currency, occurred_at
        ),
        new_event_places AS (
            SELECT n.event_id::text AS event_id, n.type, nullif(b.merchant, '') AS merchant, nullif(b.country, '') AS country,
                   n.currency, n.amount
            FROM new_events n JOIN event_batch b USING (event_id)
            WHERE b.merchant <> '' OR b.country <> ''
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
            RETURNING rule, detected_at, event_id
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
        ),
        link_batch AS (
            SELECT event_id, bool_or(has_event) AS has_event, max(type) AS type, max(merchant) AS merchant,
                   max(country) AS country, max(currency) AS currency, max(amount) AS amount, sum(alerts)::integer AS alerts
            FROM (
                SELECT event_id, true AS has_event, type, merchant, country, currency, amount, 0 AS alerts FROM new_event_places
                UNION ALL
                SELECT lower(event_id), false, NULL, NULL, NULL, NULL, NULL, 1 FROM new_alerts
            ) l
            GROUP BY event_id
        ),
        links AS (
            INSERT INTO analytics_breakdown_links AS t (event_id, has_event, type, merchant, country, currency, amount, alerts)
            SELECT event_id, has_event, type, merchant, country, currency, amount, alerts FROM link_batch ORDER BY event_id
            ON CONFLICT (event_id) DO UPDATE SET
                has_event = t.has_event OR excluded.has_event,
                type = coalesce(t.type, excluded.type),
                merchant = coalesce(t.merchant, excluded.merchant),
                country = coalesce(t.country, excluded.country),
                currency = coalesce(t.currency, excluded.currency),
                amount = coalesce(t.amount, excluded.amount),
                alerts = t.alerts + excluded.alerts
            RETURNING event_id, has_event, type, merchant, country, currency, amount, alerts
        ),
        link_changes AS (
            -- b.has_event: the event is new in this statement (so it was not there before);
            -- l.alerts - b.alerts: the alerts the row had before this statement.
            SELECT l.merchant, l.country, l.currency,
                   CASE WHEN b.has_event AND l.type = 'payment' THEN 1 ELSE 0 END AS payments,
                   CASE WHEN b.has_event AND l.type = 'refund' THEN 1 ELSE 0 END AS refunds,
                   CASE WHEN b.has_event AND l.type = 'payment' THEN l.amount ELSE 0 END AS payment_sum,
                   CASE WHEN b.has_event AND l.type = 'refund' THEN l.amount ELSE 0 END AS refund_sum,
                   CASE WHEN NOT l.has_event THEN 0 WHEN b.has_event THEN l.alerts ELSE b.alerts END AS alerts,
                   CASE WHEN NOT l.has_event OR l.alerts = 0 THEN 0
                        WHEN b.has_event OR l.alerts = b.alerts THEN 1 ELSE 0 END AS flagged
            FROM links l JOIN link_batch b USING (event_id)
            WHERE l.has_event
        ),
        breakdown AS (
            INSERT INTO analytics_breakdown AS t (dimension, key, currency, payments, refunds, payment_sum, refund_sum, alerts, flagged)
            SELECT dimension, key, currency, sum(payments), sum(refunds), sum(payment_sum), sum(refund_sum), sum(alerts), sum(flagged)
            FROM (
                SELECT 'merchant' AS dimension, merchant AS key, currency, payments, refunds, payment_sum, refund_sum, alerts, flagged
                FROM link_changes WHERE merchant IS NOT NULL
                UNION ALL
                SELECT 'country', country, currency, payments, refunds, payment_sum, refund_sum, alerts, flagged
                FROM link_changes WHERE country IS NOT NULL
            ) c
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (dimension, key, currency) DO UPDATE SET
                payments = t.payments + excluded.payments,
                refunds = t.refunds + excluded.refunds,
                payment_sum = t.payment_sum + excluded.payment_sum,
                refund_sum = t.refund_sum + excluded.refund_sum,
                alerts = t.alerts + excluded.alerts,
                flagged = t.flagged + excluded.flagged
        )
        SELECT (SELECT count(*) FROM new_events), (SELECT count(*) FROM new_alerts), (SELECT count(*) FROM new_mismatches)
        """
}
