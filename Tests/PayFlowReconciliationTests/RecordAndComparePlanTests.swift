import Foundation
import PayFlowPostgres
@testable import PayFlowReconciliation
import PayFlowTestSupport
import Testing

/// The handler's batch statement looks its rows up by key however much
/// history `reconciliation_seen` holds and whatever PostgreSQL knows of it.
///
/// Why a plan test: the statement's result is the same either way (the
/// reconciliation suites check that); what went wrong was its cost. In a
/// 200,000-event bench run the earlier entries of the batch's events were
/// found with `transaction_id = ANY ($1)`, which the planner, before the
/// table had statistics, estimated at most of the table and answered with a
/// sequential scan of all of it on every batch (issue 13).
@Suite("Reconciliation batch statement plan")
struct RecordAndComparePlanTests {
    @Test func theBatchStatementProbesItsTablesByKeyWithOrWithoutStatistics() async throws {
        try await IntegrationFixture.with { base in
            // A fresh deployment's first minutes: history, and no statistics
            // yet (autovacuum off for the table, so none arrive mid-test).
            try await base.database.query("ALTER TABLE reconciliation_seen SET (autovacuum_enabled = false)")
            try await base.database.query(
                """
                INSERT INTO reconciliation_seen (transaction_id, stream, entry_id, type, account, amount, currency, checked_at)
                SELECT gen_random_uuid(), 'payflow:events', i || '-0', 'payment', 'acc-000001', 1250, 'EUR', now()
                FROM generate_series(1, 20000) AS i
                """
            )
            let unanalysed = try await Self.plan(in: base.database)
            #expect(!unanalysed.contains("Seq Scan on reconciliation_seen"), "\(unanalysed)")
            #expect(unanalysed.contains("reconciliation_seen_pkey"), "\(unanalysed)")

            try await base.database.query("ANALYZE reconciliation_seen")
            let analysed = try await Self.plan(in: base.database)
            #expect(!analysed.contains("Seq Scan on reconciliation_seen"), "\(analysed)")
            #expect(analysed.contains("reconciliation_seen_pkey"), "\(analysed)")
        }
    }

    /// The plan of a batch of 256 new transactions, as a handler sends it.
    static func plan(in database: PostgresConnection) async throws -> String {
        let count = 256
        let ids = (0..<count).map { _ in UUID().uuidString.lowercased() }
        return try await database.query("EXPLAIN " + ReconciliationHandler.recordAndCompare, [
            PostgresArrayLiteral.text(ids),
            PostgresArrayLiteral.text(Array(repeating: "payflow:events", count: count)),
            PostgresArrayLiteral.text((0..<count).map { "\($0 + 100_000)-0" }),
            PostgresArrayLiteral.text(Array(repeating: "payment", count: count)),
            PostgresArrayLiteral.text(Array(repeating: "acc-000001", count: count)),
            PostgresArrayLiteral.integers(Array(repeating: 1250, count: count)),
            PostgresArrayLiteral.text(Array(repeating: "EUR", count: count)),
        ]).rows.map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
    }
}
