import Foundation
import Logging
import PayFlowAuditLog
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport

/// A fresh, migrated PostgreSQL database and a Redis connection (database 0,
/// streams with unique names), for the audit log's tests.
struct AuditFixture: IntegrationFixtureWrapper, Sendable {
    let base: IntegrationFixture

    static let quietLogger = Logger.quiet("test.audit", level: .warning)

    /// `redisDatabase` ``RedisTestDatabase/shared``: streams with unique
    /// names; another: that database, flushed, with the real stream names.
    static func with<T>(redisDatabase: RedisTestDatabase = .shared, _ body: (AuditFixture) async throws -> T) async throws -> T {
        try await IntegrationFixture.with(redisDatabase: redisDatabase) { base in
            try await body(AuditFixture(base: base))
        }
    }

    /// A writer with a connection of its own, as each audit-log process has,
    /// connected as the audit-log service's role (not the owner): what it may
    /// not do, it cannot do here either.
    func withWriter<T>(consumer: String = "writer", _ body: (AuditChainWriter) async throws -> T) async throws -> T {
        let url = ServiceRole.auditLog.databaseURL(from: self.databaseURL)
        let connection = try await PostgresConnection.connect(url: url, logger: Self.quietLogger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(AuditChainWriter(database: connection, consumer: consumer, logger: Self.quietLogger)))
        } catch {
            result = .failure(error)
        }
        await connection.close()
        return try result.get()
    }

    func verify() async throws -> AuditVerification {
        try await AuditVerifier(database: self.database, pageSize: 7).verify()
    }

    func rowCount() async throws -> Int {
        try await self.database.query("SELECT count(*) FROM audit_log").rows[0].decode(0, as: Int.self)
    }

    /// Entries stored more than once (must stay 0).
    func duplicateRowCount() async throws -> Int {
        try await self.database.query(
            "SELECT count(*) FROM (SELECT 1 FROM audit_log GROUP BY stream, entry_id HAVING count(*) > 1) d"
        ).rows[0].decode(0, as: Int.self)
    }

    /// Records of `count` entries on `stream`, ids 1000-0, 1001-0, ...
    static func records(_ count: Int, stream: String = "test:stream", firstMillisecond: UInt64 = 1_000) -> [AuditRecord] {
        (0..<count).map { index in
            AuditRecord(
                stream: stream,
                entryID: StreamEntryID(milliseconds: firstMillisecond + UInt64(index), sequence: 0),
                fields: [
                    .init(name: "id", value: "evt-\(index)"),
                    .init(name: "type", value: "payment"),
                    .init(name: "amount", value: "\(index * 100)"),
                ],
                receivedAtMicroseconds: 1_700_000_000_000_000 + Int64(index)
            )
        }
    }
}
