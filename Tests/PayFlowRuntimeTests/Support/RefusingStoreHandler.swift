import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// A handler whose store is a real PostgreSQL table that refuses one value:
/// each batch is one `INSERT`, so a single refused row fails the whole
/// statement, as the services' one-statement-per-batch stores do. A row
/// written again counts it in `writes`, so a test sees any neighbour that was
/// processed twice.
struct RefusingStoreHandler: ConsumerGroupHandler {
    struct Message: Sendable {
        var eventID: String
        var value: String
    }

    static let refusedValue = "refused"
    static let constraint = "value_is_not_refused"

    let database: PostgresConnection

    /// Creates the table; the constraint's name is what a dead letter's reason must carry.
    static func createTable(_ database: PostgresConnection) async throws {
        try await database.query("""
            CREATE TABLE refusal_test (
                id     text PRIMARY KEY,
                value  text NOT NULL CONSTRAINT \(Self.constraint) CHECK (value <> '\(Self.refusedValue)'),
                writes integer NOT NULL DEFAULT 1
            )
            """)
    }

    func decode(_ entry: StreamEntry) throws -> Message {
        Message(eventID: entry[field: "id"] ?? "", value: entry[field: "value"] ?? "")
    }

    func handle(_ batch: [Delivery<Message>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        try await self.database.query(
            """
            INSERT INTO refusal_test (id, value) SELECT * FROM unnest($1::text[], $2::text[])
            ON CONFLICT (id) DO UPDATE SET writes = refusal_test.writes + 1
            """,
            [PostgresArrayLiteral.text(batch.map(\.message.eventID)), PostgresArrayLiteral.text(batch.map(\.message.value))]
        )
        return batch.outcomes(.done)
    }
}
