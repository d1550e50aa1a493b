import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The outbox both findings streams use: rows first, then entries, then the
/// mark, and a marked row is never published again.
@Suite("Stream outbox")
struct StreamOutboxTests {
    @Test func publishesUnpublishedRowsInOrderAndMarksThem() async throws {
        let fixture = try await StreamFixture.make()
        try await TestDatabase.withFresh { _, database in
            try await database.execute("CREATE TABLE findings (finding_id text PRIMARY KEY, published_at timestamptz)")
            try await database.execute("INSERT INTO findings (finding_id) VALUES ('f-1'), ('f-2'), ('f-3')")
            try await database.execute("UPDATE findings SET published_at = '2026-01-01T00:00:00Z' WHERE finding_id = 'f-2'")
            let outbox = StreamOutbox(
                table: "findings", keyColumn: "finding_id", keyType: "text",
                stream: fixture.stream, redis: fixture.redis
            )

            let unpublished = try await outbox.unpublished(among: ["f-1", "f-2", "f-3", "f-absent"], in: database)
            #expect(unpublished == ["f-1", "f-3"])
            try await outbox.publish(
                ["f-3", "f-1"].map { StreamOutbox.Entry(key: $0, fields: [("finding_id", $0), ("note", "n-\($0)")]) },
                in: database
            )

            let entries = try await fixture.redis.range(stream: fixture.stream, count: 10)
            #expect(entries.map { $0[field: "finding_id"] } == ["f-3", "f-1"])
            #expect(entries.map { $0.fields.map(\.name) } == [["finding_id", "note"], ["finding_id", "note"]])
            #expect(try await outbox.unpublished(among: ["f-1", "f-2", "f-3"], in: database).isEmpty)
            // The row marked before keeps its mark: publishing marks only unmarked rows.
            let marked = try await database.query("SELECT published_at::text FROM findings WHERE finding_id = 'f-2'").rows[0]
            #expect(try marked.decode(0, as: String.self).hasPrefix("2026-01-01"))
        }
    }
}
