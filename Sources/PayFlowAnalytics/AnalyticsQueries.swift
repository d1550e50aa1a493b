import Foundation
import PayFlowDomain
import PayFlowPostgres

/// The read side of analytics: the figures the API serves, each one SQL
/// statement over the aggregate tables (or a bounded index scan of the fact
/// tables for the "recent" lists), returning plain Swift values.
///
/// Parameters are validated by the caller (the HTTP layer turns bad ones into
/// 400s); this layer trusts them. Its own ``PostgresConnection``, never the
/// handler's: queries and batches then never queue behind each other.
public struct AnalyticsQueries: Sendable {
    let database: PostgresConnection

    public init(database: PostgresConnection) {
        self.database = database
    }

    // MARK: - Summary

    public func summary() async throws -> StatsSummary {
        let totals = try await self.database.query(
            """
            SELECT type, currency, sum(event_count), sum(amount_sum), min(amount_min), max(amount_max)
            FROM analytics_event_minutes GROUP BY type, currency ORDER BY type, currency
            """
        ).rows.map(Self.amountTotals(at: 0))
        let counts = try await self.database.query(
            """
            SELECT (SELECT coalesce(sum(alert_count), 0) FROM analytics_alert_minutes),
                   (SELECT coalesce(sum(mismatch_count), 0) FROM analytics_mismatch_minutes),
                   (SELECT count(*) FROM analytics_account_status WHERE blocked)
            """
        ).first
        return StatsSummary(
            totals: totals,
            alerts: try counts?.decode(0, as: Int64.self) ?? 0,
            mismatches: try counts?.decode(1, as: Int64.self) ?? 0,
            blockedAccounts: try counts?.decode(2, as: Int64.self) ?? 0
        )
    }

    // MARK: - Timeseries

    /// Minutes in `[from, to)` rolled up into `bucket`s (UTC), per type and
    /// currency, in time order; `type` nil means every type. Buckets with no
    /// events are absent.
    public func timeseries(from: EventTimestamp, to: EventTimestamp, bucket: TimeBucket, type: EventType?) async throws -> [TimeseriesPoint] {
        try await self.database.query(
            """
            SELECT date_trunc($3, minute AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
                   type, currency, sum(event_count), sum(amount_sum), min(amount_min), max(amount_max)
            FROM analytics_event_minutes
            WHERE minute >= $1 AND minute < $2 AND ($4::text IS NULL OR type = $4)
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """,
            [from.description, to.description, bucket.rawValue, type?.rawValue]
        ).rows.map { row in
            TimeseriesPoint(start: EventTimestamp(try row.decode(0, as: Date.self)), totals: try Self.amountTotals(at: 1)(row))
        }
    }

    // MARK: - Alerts and mismatches

    public func alerts(recent limit: Int) async throws -> AlertStats {
        let perRule = try await self.database.query(
            "SELECT rule, sum(alert_count) FROM analytics_alert_minutes GROUP BY rule ORDER BY rule"
        ).rows.map(Self.namedCount)
        let recent = try await self.database.query(
            """
            SELECT alert_id, event_id, account, rule, severity, reason, detected_at
            FROM analytics_alerts ORDER BY detected_at DESC, alert_id LIMIT $1
            """,
            [limit]
        ).rows.map { row in
            AlertNotice(
                alertID: try row.decode(0), eventID: try row.decode(1), account: try row.decode(2),
                rule: try row.decode(3), severity: try row.decode(4), reason: try row.decode(5),
                detectedAt: EventTimestamp(try row.decode(6, as: Date.self))
            )
        }
        return AlertStats(total: perRule.reduce(0) { $0 + $1.count }, perRule: perRule, recent: recent)
    }

    public func mismatches(recent limit: Int) async throws -> MismatchStats {
        let perKind = try await self.database.query(
            "SELECT kind, sum(mismatch_count) FROM analytics_mismatch_minutes GROUP BY kind ORDER BY kind"
        ).rows.map(Self.namedCount)
        let recent = try await self.database.query(
            """
            SELECT mismatch_id, kind, transaction_id, expected, actual, detected_at
            FROM analytics_mismatches ORDER BY detected_at DESC, mismatch_id LIMIT $1
            """,
            [limit]
        ).rows.map { row in
            MismatchNotice(
                mismatchID: try row.decode(0), kind: try row.decode(1), transactionID: try row.decode(2),
                expected: try row.decode(3), actual: try row.decode(4),
                detectedAt: EventTimestamp(try row.decode(5, as: Date.self))
            )
        }
        return MismatchStats(total: perKind.reduce(0) { $0 + $1.count }, perKind: perKind, recent: recent)
    }

    // MARK: - Top spenders

    /// The `limit` accounts with the largest payment sums in `currency`, or in
    /// each currency when nil (amounts of different currencies are never
    /// added or compared). Ties are broken by account id.
    public func topAccounts(limit: Int, currency: Currency?) async throws -> [AccountSpend] {
        let codes = currency.map { [$0.code] } ?? Currency.all.map(\.code)
        return try await self.database.query(
            """
            SELECT s.account, s.currency, s.payment_count, s.amount_sum
            FROM unnest($1::text[]) WITH ORDINALITY AS c (code, position)
            CROSS JOIN LATERAL (
                SELECT account, currency, payment_count, amount_sum FROM analytics_account_spend
                WHERE currency = c.code ORDER BY amount_sum DESC, account LIMIT $2
            ) s
            ORDER BY c.position, s.amount_sum DESC, s.account
            """,
            [PostgresArrayLiteral.text(codes), limit]
        ).rows.map { row in
            AccountSpend(account: try row.decode(0), currency: try row.decode(1), payments: try row.decode(2), amount: try row.decode(3))
        }
    }

    // MARK: - Rows

    /// type, currency, count, sum, min, max from column `first` on. Sums of
    /// bigint are numeric in PostgreSQL; their text is a plain integer.
    static func amountTotals(at first: Int) -> @Sendable (PostgresRow) throws -> AmountTotals {
        { row in
            AmountTotals(
                type: try row.decode(first), currency: try row.decode(first + 1),
                count: try row.decode(first + 2), sum: try row.decode(first + 3),
                min: try row.decode(first + 4), max: try row.decode(first + 5)
            )
        }
    }

    static func namedCount(_ row: PostgresRow) throws -> NamedCount {
        NamedCount(name: try row.decode(0), count: try row.decode(1))
    }
}
