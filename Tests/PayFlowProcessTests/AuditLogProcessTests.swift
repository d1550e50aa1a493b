import Foundation
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// `payflow audit-log` killed in the middle of its work, then `payflow audit
/// verify` on what it left: Redis database ``RedisTestDatabase/auditLogProcess`` (the real
/// stream names) and a PostgreSQL database of its own.
@Suite("payflow audit-log and audit verify as processes")
struct AuditLogProcessTests {
    @Test func aKilledWriterLeavesEveryEntryOnceAndAVerifiableChain() async throws {
        try await IntegrationFixture.with(redisDatabase: .auditLogProcess, migration: .withTheBinary) { fixture in
            let (redis, redisURL, url, database) = (fixture.redis, fixture.redisURL, fixture.databaseURL, fixture.database)
            let total = 30_000
            for start in stride(from: 0, to: total, by: 1_000) {
                let commands = (start..<start + 1_000).map { index in
                    RedisCommand("XADD", index % 10 == 0 ? "payflow:alerts" : "payflow:events", "*", "id", "evt-\(index)", "type", "payment")
                }
                for reply in try await redis.pipeline(commands) { try reply.orThrow() }
            }
            func stored() async throws -> Int {
                try await database.query("SELECT count(*) FROM audit_log").rows[0].decode(0, as: Int.self)
            }
            let environment = [
                "REDIS_URL": redisURL, "DATABASE_URL": url, "HTTP_PORT": "0", "LOG_LEVEL": "info",
                "STREAM_BLOCK_MS": "200", "STREAM_BATCH_SIZE": "200",
                "CLAIM_MIN_IDLE_MS": "1000", "CLAIM_INTERVAL_MS": "200",
            ]

            let doomed = try PayFlowProcess(["audit-log"], environment: environment.merging(["CONSUMER_NAME": "doomed"]) { $1 })
            try await eventually("the first writer to store some rows", timeout: .seconds(60)) { try await stored() >= 2_000 }
            doomed.signal(SIGKILL)
            _ = try await doomed.waitForExit(timeout: .seconds(10))
            #expect(try await stored() < total, "the kill came too late to test anything")

            let survivor = try PayFlowProcess(["audit-log"], environment: environment.merging(["CONSUMER_NAME": "survivor"]) { $1 })
            try await eventually("every entry stored", timeout: .seconds(120)) { try await stored() == total }
            survivor.signal(SIGTERM)
            #expect(try await survivor.waitForExit(timeout: .seconds(30)) == 0)
            let duplicates = try await database.query(
                "SELECT count(*) FROM (SELECT 1 FROM audit_log GROUP BY stream, entry_id HAVING count(*) > 1) d"
            ).rows[0].decode(0, as: Int.self)
            #expect(duplicates == 0)
            for stream in ["payflow:events", "payflow:alerts"] {
                let pending = try await redis.send(RedisCommand("XPENDING", stream, "audit-log")).array?.first?.integer
                #expect(pending == 0, "\(stream) still has pending entries")
            }

            let intact = try await PayFlowProcess.run(["audit", "verify"], environment: ["DATABASE_URL": url])
            #expect(intact.status == 0, "\(intact.output)")
            #expect(intact.output.contains("OK: \(total) rows in 2 chains"))

            let victim = try await database.query(
                "SELECT stream, entry_id FROM audit_log ORDER BY chain_id, chain_seq OFFSET 1234 LIMIT 1"
            ).rows[0]
            let entryID = try victim.decode("entry_id", as: String.self)
            try await database.query("DELETE FROM audit_log WHERE entry_id = $1 AND stream = $2", [entryID, try victim.decode("stream", as: String.self)])
            let broken = try await PayFlowProcess.run(["audit", "verify"], environment: ["DATABASE_URL": url])
            #expect(broken.status == 1)
            #expect(broken.output.contains("BROKEN"))
            #expect(broken.output.contains("missing"), "\(broken.output)")

            let show = try await PayFlowProcess.run(["audit", "show", "evt-10"], environment: ["DATABASE_URL": url])
            #expect(show.status == 0, "\(show.output)")
            #expect(show.output.contains("payflow:alerts"))
        }
    }
}
