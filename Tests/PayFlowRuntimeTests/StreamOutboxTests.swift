import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The outbox both findings streams use: rows first, then a claim, then
/// entries, then the mark; a row claimed or marked by someone else is never
/// published again, and a claim whose holder died is taken over.
@Suite("Stream outbox")
struct StreamOutboxTests {
    static let schema = """
        CREATE TABLE findings (
            finding_id text PRIMARY KEY, note text NOT NULL,
            published_at timestamptz, publishing_at timestamptz, published_id text
        )
        """

    static func outbox(_ fixture: StreamFixture) -> StreamOutbox {
        StreamOutbox(
            table: "findings", keyColumn: "finding_id", keyType: "text",
            stream: fixture.stream, redis: fixture.redis
        ) { keys, database in
            try await database.query("SELECT finding_id, note FROM findings WHERE finding_id = ANY ($1::text[]) ORDER BY finding_id", [PostgresArrayLiteral.text(keys)])
                .rows.map { row in
                    let key = try row.decode(0, as: String.self)
                    return StreamOutbox.Entry(key: key, shardKey: key, fields: [("finding_id", key), ("note", try row.decode(1, as: String.self))])
                }
        }
    }

    static func entries(_ keys: [String]) -> [StreamOutbox.Entry] {
        keys.map { StreamOutbox.Entry(key: $0, shardKey: $0, fields: [("finding_id", $0), ("note", "n-\($0)")]) }
    }

    @Test func publishesOnlyRowsNobodyPublishedOrHoldsAndMarksThemWithTheirEntryIDs() async throws {
        let fixture = try await StreamFixture.make()
        try await TestDatabase.withFresh { _, database in
            try await database.execute(Self.schema)
            try await database.execute("INSERT INTO findings (finding_id, note) VALUES ('f-1', 'n-f-1'), ('f-2', 'n-f-2'), ('f-3', 'n-f-3'), ('f-4', 'n-f-4')")
            try await database.execute("UPDATE findings SET published_at = '2026-01-01T00:00:00Z', published_id = '1-1' WHERE finding_id = 'f-2'")
            // Another replica is publishing f-4 right now (a claim in the future:
            // live however slowly a starved machine runs this test).
            try await database.execute("UPDATE findings SET publishing_at = clock_timestamp() + interval '1 hour' WHERE finding_id = 'f-4'")
            let outbox = Self.outbox(fixture)

            // f-3 twice, as when two events of a batch re-judge one payment.
            try await outbox.publishUnclaimed(Self.entries(["f-3", "f-1", "f-2", "f-3", "f-4", "f-absent"]), in: database)

            let entries = try await fixture.redis.range(stream: fixture.stream, count: 10)
            #expect(entries.map { $0[field: "finding_id"] } == ["f-3", "f-1"])
            #expect(entries.map { $0.fields.map(\.name) } == [["finding_id", "note"], ["finding_id", "note"]])
            let rows = try await database.query("SELECT finding_id, published_id, published_at::text FROM findings WHERE published_at IS NOT NULL ORDER BY finding_id").rows
            var marked: [String: String] = [:]
            for row in rows { marked[try row.decode(0, as: String.self)] = try row.decode(1, as: String.self) }
            #expect(marked == ["f-1": entries[1].id.description, "f-2": "1-1", "f-3": entries[0].id.description])
            // Published a second time, nothing is added: the marks and the claim hold.
            try await outbox.publishUnclaimed(Self.entries(["f-1", "f-2", "f-3", "f-4"]), in: database)
            #expect(try await fixture.redis.range(stream: fixture.stream, count: 10).count == 2)
        }
    }

    /// Two replicas recording the same findings at the same moment (re-judging
    /// makes that common for alerts) publish each once, not once each.
    @Test func twoPublishersRacingOnTheSameRowsPublishEachOnce() async throws {
        let fixture = try await StreamFixture.make()
        try await TestDatabase.withFresh { url, database in
            try await database.execute(Self.schema)
            let other = try await PostgresConnection.connect(url: url, logger: .quiet("test"))
            let outbox = Self.outbox(fixture)
            for round in 0..<20 {
                let keys = (0..<20).map { "r\(round)-\($0)" }
                try await database.query("INSERT INTO findings (finding_id, note) SELECT unnest($1::text[]), 'n'", [PostgresArrayLiteral.text(keys)])
                async let first: Void = outbox.publishUnclaimed(Self.entries(keys), in: database)
                async let second: Void = outbox.publishUnclaimed(Self.entries(keys.reversed()), in: other)
                _ = try await (first, second)
            }
            await other.close()
            let published = try await fixture.redis.range(stream: fixture.stream).compactMap { $0[field: "finding_id"] }
            #expect(published.count == 400, "\(published.count - Set(published).count) findings published twice")
            #expect(Set(published).count == 400)
        }
    }

    @Test func theRepairPublishesAClaimWhoseHolderDiedOnceItsLeaseIsOver() async throws {
        let fixture = try await StreamFixture.make()
        try await TestDatabase.withFresh { _, database in
            try await database.execute(Self.schema)
            try await database.execute("INSERT INTO findings (finding_id, note) VALUES ('f-1', 'n-f-1'), ('f-2', 'n-f-2')")
            let lease = StreamOutbox.claimLease
            try await database.execute("UPDATE findings SET publishing_at = clock_timestamp() - interval '\(lease + 1) seconds' WHERE finding_id = 'f-1'")
            // f-2's holder claimed it just now (in the future: still live on a starved machine).
            try await database.execute("UPDATE findings SET publishing_at = clock_timestamp() + interval '1 hour' WHERE finding_id = 'f-2'")
            let outbox = Self.outbox(fixture)
            let repair = StreamOutboxRepair(outboxes: [outbox], database: database, redis: fixture.redis, logger: .quiet("test"))

            try await repair.pass()

            #expect(try await fixture.redis.range(stream: fixture.stream, count: 10).map { $0[field: "finding_id"] } == ["f-1"])
            let unpublished = try await database.query("SELECT finding_id FROM findings WHERE published_at IS NULL").rows.map { try $0.decode(0, as: String.self) }
            #expect(unpublished == ["f-2"], "f-2's holder may still be alive")
        }
    }
}
