import Foundation
import PayFlowNotification
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// `NOTIFICATION_RETENTION_SECONDS`: settled rows older than the retention
/// are purged, in batches; pending rows and recent ones stay.
@Suite("Notification retention")
struct NotificationRetentionTests {
    @Test func settledRowsPastTheRetentionArePurgedInBatches() async throws {
        try await IntegrationFixture.with { base in
            let purge = try #require(try NotificationService.retentionPurge(Environment(["NOTIFICATION_RETENTION_SECONDS": "3600"])))
            // 12 old delivered, 3 old failed, 2 old pending, 4 recent delivered.
            let rows: [(status: String, ageHours: Int, count: Int)] = [("delivered", 48, 12), ("failed", 2, 3), ("pending", 48, 2), ("delivered", 0, 4)]
            var index = 0
            for row in rows {
                for _ in 0..<row.count {
                    index += 1
                    try await base.database.query("""
                        INSERT INTO notifications (notification_id, source_stream, source_id, event_id, channel, kind, recipient, status, updated_at)
                        VALUES (gen_random_uuid(), 'payflow:events', $1, gen_random_uuid(), 'log', 'payment_receipt', 'acc-1', $2,
                                now() - $3::bigint * interval '1 hour')
                        """, ["src-\(index)", row.status, Int64(row.ageHours)])
                }
            }
            // The production statement in batches of 4, so the loop over batches runs.
            let small = RetentionPurge(name: purge.name, retention: purge.retention, batchSize: 4, deleteBatch: purge.deleteBatch)
            #expect(try await small.purge(base.database) == 15)
            let left = try await base.database.query("SELECT status, count(*) FROM notifications GROUP BY status ORDER BY status").rows.map {
                "\(try $0.decode(0, as: String.self)) \(try $0.decode(1, as: Int.self))"
            }
            #expect(left == ["delivered 4", "pending 2"])
            #expect(try await purge.purge(base.database) == 0, "nothing left past the retention")
            #expect(try NotificationService.retentionPurge(Environment(["NOTIFICATION_RETENTION_SECONDS": "0"])) == nil, "0 keeps everything")
        }
    }
}
