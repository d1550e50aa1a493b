import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// The demo consumer's handler: one multi-row `INSERT ... ON CONFLICT DO
/// NOTHING` per batch into `processed_events`, keyed by (group, event id), so
/// a redelivered entry adds nothing. The insert commits before `handle`
/// returns, which is what lets the runtime ack.
public struct ProcessedEventsRecorder: ConsumerGroupHandler {
    public struct Event: Sendable {
        public var id: String
    }

    struct MissingEventID: Error, CustomStringConvertible {
        var description: String { "field 'id' is missing or empty" }
    }

    let group: String
    let database: PostgresConnection
    /// Simulated slow work per batch (`DEMO_BATCH_DELAY_MS`), to watch claims
    /// and graceful shutdown happen with `redis-cli`.
    var batchDelay: Duration = .zero

    public init(group: String, database: PostgresConnection, batchDelay: Duration = .zero) {
        self.group = group
        self.database = database
        self.batchDelay = batchDelay
    }

    public func decode(_ entry: StreamEntry) throws -> Event {
        guard let id = entry[field: "id"], !id.isEmpty else { throw MissingEventID() }
        return Event(id: id)
    }

    public func handle(_ batch: [Delivery<Event>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        if self.batchDelay > .zero {
            try await Task.sleep(for: self.batchDelay)
        }
        let rows: [[(any PostgresEncodable)?]] = batch.map { delivery in
            [self.group, delivery.message.id, delivery.entry.stream, delivery.entry.id.description]
        }
        try await self.database.insertRows(
            into: "processed_events",
            columns: ["consumer_group", "event_id", "stream", "entry_id"],
            rows: rows,
            onConflict: "ON CONFLICT (consumer_group, event_id) DO NOTHING"
        )
        return batch.outcomes(.done)
    }
}
