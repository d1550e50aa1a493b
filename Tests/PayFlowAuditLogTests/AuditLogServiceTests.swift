import Foundation
@testable import PayFlowAuditLog
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import ServiceLifecycle
import Testing

/// The audit-log group run by the real runtime against real Redis streams.
@Suite("audit log: the consumer group")
struct AuditLogServiceTests {
    /// One `payflow audit-log` process, built as the command builds it.
    func auditLogProcess(_ fixture: AuditFixture, consumer: String) async throws -> PayFlowApplication {
        let environment = Environment([
            "REDIS_URL": ServiceRole.auditLog.redisURL(from: fixture.redisURL), "DATABASE_URL": ServiceRole.auditLog.databaseURL(from: fixture.databaseURL), "CONSUMER_NAME": consumer,
            "STREAM_BATCH_SIZE": "64", "STREAM_BLOCK_MS": "100", "CLAIM_MIN_IDLE_MS": "500", "CLAIM_INTERVAL_MS": "100",
        ])
        return try await AuditLogService.make(ProcessContext(environment: environment, logger: AuditFixture.quietLogger))
    }

    @Test func twoReplicasStoreEveryEntryOfEveryStreamOnceInVerifiableChains() async throws {
        try await AuditFixture.with(redisDatabase: .auditLogReplicas) { fixture in
            // The real names: a business stream and a dead-letter stream the audit log copies.
            let events = StreamNames.events
            let deadLetters = ConsumerGroupConfiguration.deadLetterStream(forGroup: ConsumerGroupName.notification.name)
            #expect(AuditLogService.streams.contains(deadLetters))
            let group = AuditLogService.group.name
            var commands: [RedisCommand] = []
            for index in 0..<1_500 {
                commands.append(RedisCommand("XADD", events, "*", "id", "evt-\(index)", "type", "payment", "amount", "\(index)"))
            }
            // What the other services could not parse: kept by the audit log as is.
            commands.append(RedisCommand("XADD", events, "*", "garbage", "\u{1}\u{2}"))
            commands.append(RedisCommand("XADD", events, "*", "id", "evt-dup", "id", "evt-dup-2"))
            for index in 0..<40 {
                commands.append(RedisCommand("XADD", deadLetters, "*", "reason", "bad", "original.id", "evt-\(index)"))
            }
            for reply in try await fixture.redis.pipeline(commands) { try reply.orThrow() }
            let expected = 1_500 + 2 + 40

            let replicas = [
                try await self.auditLogProcess(fixture, consumer: "replica-1"),
                try await self.auditLogProcess(fixture, consumer: "replica-2"),
            ]
            try await withApplicationsRunning(replicas) {
                // 1,542 entries take seconds alone; 180 s because a CI run that
                // started a hundred suites at once once took more than 60.
                try await eventually("every entry stored", timeout: .seconds(180)) {
                    try await fixture.rowCount() == expected
                }
            }

            #expect(try await fixture.rowCount() == expected)
            #expect(try await fixture.duplicateRowCount() == 0)
            let verdict = try await fixture.verify()
            guard case .intact(let rows, _) = verdict else {
                Issue.record("chain broken: \(verdict)")
                return
            }
            #expect(rows == expected)
            for stream in [events, deadLetters] {
                let pending = try await fixture.redis.send(RedisCommand("XPENDING", stream, group)).array?.first?.integer
                #expect(pending == 0)
            }
            let deadLettered = try await fixture.database.query(
                "SELECT count(*) FROM audit_log WHERE stream = $1 AND event_id LIKE 'evt-%'", [deadLetters]
            ).rows[0].decode(0, as: Int.self)
            #expect(deadLettered == 40)
        }
    }

    @Test func showGathersAnEventsRowsAcrossStreamsAndTables() async throws {
        try await AuditFixture.with { fixture in
            let id = UUID().uuidString.lowercased()
            _ = try await fixture.withWriter { writer async throws in
                try await writer.append([
                    AuditRecord(stream: "payflow:events", entryID: StreamEntryID(milliseconds: 1, sequence: 0),
                                fields: [.init(name: "id", value: id), .init(name: "type", value: "payment")], receivedAtMicroseconds: 1),
                    AuditRecord(stream: "payflow:alerts", entryID: StreamEntryID(milliseconds: 2, sequence: 0),
                                fields: [.init(name: "event_id", value: id), .init(name: "rule", value: "velocity")], receivedAtMicroseconds: 2),
                    AuditRecord(stream: "payflow:events", entryID: StreamEntryID(milliseconds: 3, sequence: 0),
                                fields: [.init(name: "id", value: "someone-else")], receivedAtMicroseconds: 3),
                ])
            }
            try await fixture.database.query("""
                INSERT INTO fraud_alerts (alert_id, event_id, account, rule, severity, reason, detected_at)
                VALUES ($1 || ':velocity', $1::uuid, 'acc-1', 'velocity', 'medium', 'many payments', now())
                """, [id])
            let trail = try await AuditTrail.load(eventID: id.uppercased(), from: fixture.database)
            let counts = Dictionary(uniqueKeysWithValues: trail.sections.map { ($0.title, $0.rows.count) })
            #expect(counts["audit_log"] == 2)
            #expect(counts["fraud_alerts"] == 1)
            #expect(counts["reconciliation_mismatches"] == 0)
            #expect(trail.rendered.contains("velocity"))
            #expect(!(try await AuditTrail.load(eventID: UUID().uuidString, from: fixture.database)).sections.contains { !$0.rows.isEmpty })
        }
    }

    /// Each table of the trail is looked up by its index: with sequential
    /// scans priced out, every query's plan has an index condition on its key
    /// column. Seen failing with the uuid key columns cast to text
    /// (`event_id::text = $1`): the planner then read a whole index with the
    /// comparison as a filter, as it reads the whole table by default.
    @Test func everyTrailQueryIsAnIndexLookup() async throws {
        try await AuditFixture.with { fixture in
            // A row gives audit_log a partition, so its plan scans one.
            _ = try await fixture.withWriter { writer async throws in
                try await writer.append([
                    AuditRecord(stream: "payflow:events", entryID: StreamEntryID(milliseconds: 1, sequence: 0),
                                fields: [.init(name: "id", value: UUID().uuidString.lowercased())], receivedAtMicroseconds: 1),
                ])
            }
            try await fixture.database.query("SET enable_seqscan = off")
            for query in AuditTrail.queries {
                let plan = try await fixture.database.query("EXPLAIN " + query.sql, [UUID().uuidString.lowercased()])
                    .rows.map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
                #expect(plan.contains("Index Cond: (\(query.column) = "), "\(query.title): \(plan)")
            }
            // A pasted id that is not a UUID finds nothing, and is no error.
            let trail = try await AuditTrail.load(eventID: "not-a-uuid", from: fixture.database)
            #expect(trail.isEmpty)
            #expect(trail.sections.map(\.title) == AuditTrail.queries.map(\.title))
        }
    }
}
