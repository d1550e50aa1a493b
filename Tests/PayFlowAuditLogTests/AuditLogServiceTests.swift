import Foundation
import PayFlowAuditLog
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import ServiceLifecycle
import Testing

/// The audit-log group run by the real runtime against real Redis streams.
@Suite("audit log: the consumer group")
struct AuditLogServiceTests {
    func consumer(_ fixture: AuditFixture, streams: [String], group: String, name: String, database: PostgresConnection) -> ConsumerGroupService<AuditLogHandler> {
        var configuration = ConsumerGroupConfiguration(group: group, streams: streams, consumerName: name)
        configuration.batchSize = 64
        configuration.block = .milliseconds(100)
        configuration.claimMinIdle = .milliseconds(500)
        configuration.claimInterval = .milliseconds(100)
        return ConsumerGroupService(
            configuration: configuration,
            redis: fixture.redisConfiguration,
            handler: AuditLogHandler(writer: AuditChainWriter(database: database, consumer: name, logger: AuditFixture.quietLogger)),
            logger: AuditFixture.quietLogger
        )
    }

    @Test func twoReplicasStoreEveryEntryOfEveryStreamOnceInVerifiableChains() async throws {
        try await AuditFixture.with { fixture in
            let events = uniqueName("test:audit:events")
            let deadLetters = uniqueName("test:audit:dlq")
            let group = uniqueName("audit")
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

            let first = try await PostgresConnection.connect(url: fixture.databaseURL, logger: AuditFixture.quietLogger)
            let second = try await PostgresConnection.connect(url: fixture.databaseURL, logger: AuditFixture.quietLogger)
            let services: [any Service] = [
                self.consumer(fixture, streams: [events, deadLetters], group: group, name: "replica-1", database: first),
                self.consumer(fixture, streams: [events, deadLetters], group: group, name: "replica-2", database: second),
            ]
            let outcome: Result<Void, any Error>
            do {
                outcome = .success(try await withServicesRunning(services) {
                    try await eventually("every entry stored", timeout: .seconds(60)) {
                        try await fixture.rowCount() == expected
                    }
                })
            } catch {
                outcome = .failure(error)
            }
            await first.close()
            await second.close()
            try outcome.get()

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
}
