import Foundation
import PayFlowAuditLog
import PayFlowPostgres
import PayFlowTestSupport
import Testing

/// `audit_log` is append-only for every application role (`db/0015_least_privilege.sql`):
/// the hash chain detects a change after the fact, the grants refuse it in the first
/// place. Each role logs in as itself and tries UPDATE, DELETE and TRUNCATE, on the
/// table and on the day's partition a writer created, and each is refused.
@Suite("audit log: append-only for every service role")
struct AppendOnlyTests {
    /// What each role tries; `partition` is the day's partition of the stored rows.
    static func attempts(partition: String) -> [String] {
        [
            "UPDATE audit_log SET event_id = 'evt-x' WHERE entry_id = '1003-0'",
            "DELETE FROM audit_log WHERE entry_id = '1003-0'",
            "TRUNCATE audit_log",
            "UPDATE \(partition) SET event_id = 'evt-x'",
            "DELETE FROM \(partition)",
            "TRUNCATE \(partition)",
        ]
    }

    @Test func everyRoleIsRefusedUpdateDeleteAndTruncate() async throws {
        try await AuditFixture.with { fixture in
            // Written by the audit-log role, which creates the partition through
            // audit_log_ensure_partition: the partition must still not be its own.
            _ = try await fixture.withWriter { writer async throws in
                try await writer.append(AuditFixture.records(20))
            }
            let partition = try await fixture.database.query(
                "SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    + "WHERE i.inhparent = 'audit_log'::regclass"
            ).rows
            try #require(partition.count == 1)
            let partitionName = try partition[0].decode("relname", as: String.self)
            #expect(try partition[0].decode("owner", as: String.self) != ServiceRole.auditLog.rawValue)

            for role in ServiceRole.allCases {
                let connection = try await PostgresConnection.connect(
                    url: role.databaseURL(from: fixture.databaseURL), logger: AuditFixture.quietLogger
                )
                for statement in Self.attempts(partition: partitionName) {
                    let refusal = await #expect(throws: PostgresError.self, "\(role.rawValue): \(statement)") {
                        try await connection.execute(statement)
                    }
                    #expect(refusal?.sqlState == "42501", "\(role.rawValue): \(statement) failed otherwise: \(String(describing: refusal))")
                }
                await connection.close()
            }
            #expect(try await fixture.rowCount() == 20)
            #expect(try await fixture.verify() == .intact(rows: 20, chains: 1))
        }
    }
}
