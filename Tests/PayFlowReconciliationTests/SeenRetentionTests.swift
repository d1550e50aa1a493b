import Foundation
import PayFlowReconciliation
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// `RECONCILIATION_SEEN_RETENTION_SECONDS`: first-seen rows already checked
/// and older than the retention are purged; rows still waiting for their
/// ledger row stay, whatever their age.
@Suite("Reconciliation first-seen retention")
struct SeenRetentionTests {
    @Test func checkedRowsPastTheRetentionArePurgedAndWaitingOnesStay() async throws {
        try await IntegrationFixture.with { base in
            let purge = try #require(try ReconciliationService.retentionPurge(Environment(["RECONCILIATION_SEEN_RETENTION_SECONDS": "3600"])))
            let rows: [(checked: Bool, ageHours: Int, count: Int)] = [(true, 48, 7), (false, 48, 2), (true, 0, 3)]
            for row in rows {
                for _ in 0..<row.count {
                    try await base.database.query("""
                        INSERT INTO reconciliation_seen (transaction_id, stream, entry_id, type, account, amount, currency, first_seen_at, checked_at)
                        VALUES (gen_random_uuid(), 'payflow:events', '1-0', 'payment', 'acc-1', 100, 'EUR',
                                now() - $1::bigint * interval '1 hour', CASE WHEN $2 THEN now() END)
                        """, [Int64(row.ageHours), row.checked])
                }
            }
            #expect(try await purge.purge(base.database) == 7)
            let left = try await base.database.query("SELECT count(*) FILTER (WHERE checked_at IS NULL), count(*) FROM reconciliation_seen").rows[0]
            #expect(try left.decode(0, as: Int.self) == 2, "rows waiting for their ledger row stay")
            #expect(try left.decode(1, as: Int.self) == 5)
            #expect(throws: ConfigurationError.self) {
                try ReconciliationService.retentionPurge(Environment(["RECONCILIATION_SEEN_RETENTION_SECONDS": "60"]))
            }
        }
    }
}
