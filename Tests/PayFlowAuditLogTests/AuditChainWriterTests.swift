import Foundation
import PayFlowAuditLog
import PayFlowPostgres
import PayFlowRedis
import Testing

@Suite("audit log: stored once, chained")
struct AuditChainWriterTests {
    @Test func redeliveredEntriesAreStoredOnce() async throws {
        try await AuditFixture.with { fixture in
            let records = AuditFixture.records(25)
            _ = try await fixture.withWriter { writer async throws in
                #expect(try await writer.append(Array(records[0..<10])) == 10)
                // A redelivery of the first batch, then a batch overlapping it.
                #expect(try await writer.append(Array(records[0..<10])) == 0)
                #expect(try await writer.append(Array(records[5..<25])) == 15)
            }
            // A second process (another chain) receiving the same entries after a claim.
            _ = try await fixture.withWriter(consumer: "other") { writer async throws in
                #expect(try await writer.append(records) == 0)
            }
            #expect(try await fixture.rowCount() == 25)
            // The second writer stored nothing, so it started no chain.
            #expect(try await fixture.verify() == .intact(rows: 25, chains: 1))
        }
    }

    /// Three shards' consumers call the one handler at once: every batch
    /// of each is stored, first time, in one intact chain (the writer takes
    /// them one at a time; an actor alone let two read the same head, and
    /// batches failed with "head kept moving").
    @Test func batchesArrivingAtOnceAreChainedOneAfterTheOther() async throws {
        try await AuditFixture.with { fixture in
            _ = try await fixture.withWriter { writer async throws in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for shard in 0..<3 {
                        group.addTask { () async throws -> Void in
                            for batch in 0..<20 {
                                let records = AuditFixture.records(10, stream: "test:stream:{\(shard)}", firstMillisecond: UInt64(1_000 + batch * 10))
                                let stored = try await writer.append(records)
                                #expect(stored == 10)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(try await fixture.rowCount() == 600)
            #expect(try await fixture.verify() == .intact(rows: 600, chains: 1))
        }
    }

    @Test func everyFieldIsKeptEvenWhenMalformed() async throws {
        try await AuditFixture.with { fixture in
            let odd = AuditRecord(
                stream: "test:dlq",
                entryID: StreamEntryID(milliseconds: 5, sequence: 1),
                fields: [
                    .init(name: "original.id", value: "evt-9"),
                    .init(name: "x", value: "1"),
                    .init(name: "x", value: "2"),
                    .init(name: "quote\"back\\slash", value: "nul\u{0}é/€"),
                ],
                receivedAtMicroseconds: 42
            )
            _ = try await fixture.withWriter { writer async throws in
                try await writer.append([odd])
            }
            let row = try await fixture.database.query("SELECT event_id, type, fields::text AS fields FROM audit_log").rows[0]
            #expect(try row.decode("event_id", as: String?.self) == "evt-9")
            #expect(try row.decode("type", as: String?.self) == nil)
            let fields = AuditRecord.fields(fromJSON: try row.decode("fields", as: String.self)) ?? []
            #expect(fields.map(\.name) == ["original.id", "x", "x", "quote\"back\\slash"])
            #expect(fields.last?.value == "nul\u{FFFD}é/€")
            #expect(try await fixture.verify() == .intact(rows: 1, chains: 1))
        }
    }

    @Test func entriesOfDifferentDaysLandInTheirDailyPartitions() async throws {
        try await AuditFixture.with { fixture in
            let day: UInt64 = 86_400_000
            let records = AuditFixture.records(3, firstMillisecond: 1_000)
                + AuditFixture.records(2, firstMillisecond: 20_000 * day + 5)
            _ = try await fixture.withWriter { writer async throws in
                try await writer.append(records)
            }
            let partitions = try await fixture.database.query("""
                SELECT tableoid::regclass::text AS partition, count(*) AS rows FROM audit_log GROUP BY 1 ORDER BY 1
                """).rows.map { (try $0.decode("partition", as: String.self), try $0.decode("rows", as: Int.self)) }
            #expect(partitions.map(\.0) == ["audit_log_19700101", "audit_log_20241004"])
            #expect(partitions.map(\.1) == [3, 2])
            #expect(try await fixture.verify() == .intact(rows: 5, chains: 1))
        }
    }

    @Test func twoWritersRacingOnTheSameEntriesStoreEachOnce() async throws {
        try await AuditFixture.with { fixture in
            let records = AuditFixture.records(600)
            // Both writers get every entry, in batches, interleaved: the situation
            // of a claim racing a slow consumer, exaggerated.
            _ = try await fixture.withWriter(consumer: "a") { first async throws in
                try await fixture.withWriter(consumer: "b") { second async throws in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for writer in [first, second] {
                            group.addTask {
                                for start in stride(from: 0, to: records.count, by: 50) {
                                    try await writer.append(Array(records[start..<min(start + 50, records.count)]))
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
            }
            #expect(try await fixture.rowCount() == 600)
            #expect(try await fixture.duplicateRowCount() == 0)
            #expect(try await fixture.verify() == .intact(rows: 600, chains: 2))
        }
    }
}
