import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis

/// `fraud_provisional_verdicts`: where provisional verdicts wait, durable
/// before the entry that raised them is acked. Single statements only, so the
/// handler and the settler can share one connection.
public struct ProvisionalVerdictStore: Sendable {
    let database: PostgresConnection

    public init(database: PostgresConnection) {
        self.database = database
    }

    /// Idempotent per (event, rule): a redelivery or another replica adds nothing.
    public func record(_ verdicts: [ProvisionalVerdict]) async throws {
        guard !verdicts.isEmpty else { return }
        try await self.database.query(Self.insert, Self.insertParameters(verdicts))
    }

    /// The parameters of ``insertStatement(firstParameter:)``, in order.
    static func insertParameters(_ verdicts: [ProvisionalVerdict]) -> [(any PostgresEncodable)?] {
        [
            PostgresArrayLiteral.text(verdicts.map { $0.eventID.lowercasedText }),
            PostgresArrayLiteral.text(verdicts.map(\.rule.ruleName)),
            PostgresArrayLiteral.text(verdicts.map(\.account)),
            PostgresArrayLiteral.text(verdicts.map(\.reason)),
            PostgresArrayLiteral.integers(verdicts.map(\.judgedAt.microsecondsSinceEpoch)),
            PostgresArrayLiteral.text(verdicts.map { $0.refundedPaymentID?.lowercasedText ?? "" }),
            PostgresArrayLiteral.integers(verdicts.map { $0.refundAmount ?? -1 }),
            PostgresArrayLiteral.text(verdicts.map(\.detectedAt.description)),
            PostgresArrayLiteral.text(verdicts.map(\.settleAfter.description)),
            PostgresArrayLiteral.integers(verdicts.map { Int64(clamping: $0.settleAfter.milliseconds) }),
        ]
    }

    /// The oldest verdicts raised by entries at or before `throughMilliseconds`
    /// (nil: all of them).
    public func due(throughMilliseconds: UInt64?, limit: Int) async throws -> [ProvisionalVerdict] {
        let rows = try await self.database.query(Self.selectDue, [
            throughMilliseconds.map { Int64(clamping: $0) } ?? Int64.max, limit,
        ]).rows
        return try rows.map { row in
            guard let rule = FraudPattern(ruleName: try row.decode("rule", as: String.self)),
                  let settleAfter = StreamEntryID(try row.decode("settle_after", as: String.self)),
                  let detectedAt = EventTimestamp(rfc3339: try row.decode("detected_at", as: String.self))
            else {
                throw PostgresError(code: .decoding, message: "unreadable row in fraud_provisional_verdicts")
            }
            return ProvisionalVerdict(
                eventID: try row.decode("event_id", as: UUID.self),
                account: try row.decode("account", as: String.self),
                rule: rule,
                reason: try row.decode("reason", as: String.self),
                judgedAt: EventTimestamp(microsecondsSinceEpoch: try row.decode("judged_at_us", as: Int64.self)),
                refundedPaymentID: try row.decode("refunded_payment_id", as: UUID?.self),
                refundAmount: try row.decode("refund_amount", as: Int64?.self),
                detectedAt: detectedAt,
                settleAfter: settleAfter
            )
        }
    }

    /// Drops settled verdicts (their alerts, if any, are recorded by then).
    public func remove(_ verdicts: [ProvisionalVerdict]) async throws {
        guard !verdicts.isEmpty else { return }
        try await self.database.query(
            "DELETE FROM fraud_provisional_verdicts AS v USING unnest($1::uuid[], $2::text[]) AS d (event_id, rule) WHERE v.event_id = d.event_id AND v.rule = d.rule",
            [
                PostgresArrayLiteral.text(verdicts.map { $0.eventID.lowercasedText }),
                PostgresArrayLiteral.text(verdicts.map(\.rule.ruleName)),
            ]
        )
    }

    public func count() async throws -> Int {
        try await self.database.query("SELECT count(*) FROM fraud_provisional_verdicts").rows[0].decode(0, as: Int.self)
    }

    static let insert = Self.insertStatement(firstParameter: 1)

    /// The insert with its ten parameters numbered from `first`, so
    /// ``FraudAlertStore`` can run it inside the statement that writes the
    /// batch's alerts (one commit for both).
    static func insertStatement(firstParameter first: Int) -> String {
        let p = (0..<10).map { "$\(first + $0)" }
        return """
            INSERT INTO fraud_provisional_verdicts (event_id, rule, account, reason, judged_at_us, refunded_payment_id,
                                                    refund_amount, detected_at, settle_after, settle_after_ms)
            SELECT event_id, rule, account, reason, judged_at_us, NULLIF(refunded_payment_id, '')::uuid,
                   NULLIF(refund_amount, -1), detected_at::timestamptz, settle_after, settle_after_ms
            FROM unnest(\(p[0])::uuid[], \(p[1])::text[], \(p[2])::text[], \(p[3])::text[], \(p[4])::bigint[], \(p[5])::text[],
                        \(p[6])::bigint[], \(p[7])::text[], \(p[8])::text[], \(p[9])::bigint[])
                AS v (event_id, rule, account, reason, judged_at_us, refunded_payment_id, refund_amount,
                      detected_at, settle_after, settle_after_ms)
            ON CONFLICT (event_id, rule) DO NOTHING
            """
    }

    static let selectDue = """
        SELECT event_id, rule, account, reason, judged_at_us, refunded_payment_id, refund_amount,
               to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS detected_at, settle_after
        FROM fraud_provisional_verdicts
        WHERE settle_after_ms <= $1
        ORDER BY settle_after_ms
        LIMIT $2
        """
}
