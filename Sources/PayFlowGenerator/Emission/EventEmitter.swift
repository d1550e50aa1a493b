import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// Writes simulated events out: first the ledger rows and ground-truth labels
/// in one PostgreSQL transaction, then the stream entries in one pipeline.
///
/// The order is the ground-truth contract: an event is on the stream only
/// once its ledger row is durable, so reconciliation never sees an event
/// "missing in reference" that was not injected as such. Both writes are
/// keyed by the event id: the ledger by `ON CONFLICT DO NOTHING`, the stream
/// by a ``ShardedAppender`` (a ``RetrySafeAppender`` per shard, each event
/// on its account's shard) that skips the entries a cut pipeline already
/// wrote. Retrying a batch after a failure thus adds neither a ledger row nor
/// a stream entry twice; a second entry of an event on the stream is only
/// ever an injected `duplicate_event`.
struct EventEmitter: Sendable {
    let database: PostgresConnection
    let appender: ShardedAppender

    init(database: PostgresConnection, producer: StreamProducer, shards: StreamShards = .unsharded) {
        self.database = database
        self.appender = ShardedAppender(
            producer: producer, stream: StreamNames.events, shards: shards,
            keyField: PaymentEvent.Field.id, shardField: PaymentEvent.Field.account
        )
    }

    /// Emits a batch and returns one stream entry id per emission, in order.
    ///
    /// With a checkpoint (every simulated batch), the world after the batch
    /// and the batch's stream messages (the outbox) commit with its ledger
    /// rows; once the messages are on the stream the outbox is cleared. A
    /// failure to clear it is only logged by the caller's next restart: the
    /// restart finds the messages on the stream and sends none again.
    /// `run` tags the rows of an event injected over REST (a batch with a
    /// checkpoint has the checkpoint's run).
    func emit(_ batch: [SimulatedEvent], checkpoint: BatchCheckpoint? = nil, run: Int? = nil) async throws -> [StreamEntryID] {
        let ledger = batch.compactMap(\.ledger)
        let labels = batch.flatMap(\.labels)
        var messages: [RetrySafeAppender.Fields] = []
        for simulated in batch {
            let fields = simulated.event.fields
            for _ in 0..<simulated.emissions {
                messages.append(fields)
            }
        }
        let run = checkpoint?.run ?? run
        if !ledger.isEmpty || !labels.isEmpty || checkpoint != nil {
            let pending = checkpoint.map { _ in BatchCheckpoint.encodePending(messages) }
            try await self.database.withTransaction { connection in
                if !ledger.isEmpty {
                    try await connection.query(Self.insertLedger, [
                        PostgresArrayLiteral.text(ledger.map { $0.transactionID.lowercasedText }),
                        PostgresArrayLiteral.text(ledger.map(\.account)),
                        PostgresArrayLiteral.text(ledger.map(\.type.rawValue)),
                        PostgresArrayLiteral.integers(ledger.map(\.amount)),
                        PostgresArrayLiteral.text(ledger.map(\.currency.code)),
                        PostgresArrayLiteral.text(ledger.map(\.occurredAt.description)),
                        run,
                    ])
                }
                if !labels.isEmpty {
                    try await connection.insertRows(
                        into: "generator_ground_truth",
                        columns: ["category", "name", "transaction_id", "incident_id", "run_id"],
                        rows: labels.map { label -> [(any PostgresEncodable)?] in [label.category, label.name, label.transactionID, label.incidentID, run] },
                        onConflict: "ON CONFLICT (category, name, transaction_id) DO NOTHING"
                    )
                }
                if let checkpoint, let pending {
                    try await WorldStore.write(checkpoint, pending: pending, on: connection)
                }
            }
        }
        let ids = try await self.appender.append(messages)
        if let checkpoint {
            // Best effort: should this fail, the restart's recovery finds the
            // messages above the older floor and sends none of them again.
            // Throwing here would retry the batch and XADD it twice.
            if !ids.isEmpty, let floors = try? await self.appender.floors() {
                try? await WorldStore(database: self.database).clearPending(world: checkpoint.world, streamFloors: floors)
            } else {
                try? await self.database.query("UPDATE generator_worlds SET pending = NULL WHERE world = $1", [checkpoint.world])
            }
        }
        return ids
    }

    /// The batch's ledger rows as one array per column: $1 ids, $2 accounts,
    /// $3 types, $4 amounts, $5 currencies, $6 occurred_at, $7 the run (or
    /// NULL), the same for every row.
    ///
    /// Why arrays rather than a multi-row `VALUES` list: the list had seven
    /// parameters per row (some 3,500 a batch), each parsed, typed and planned
    /// by PostgreSQL on every batch; seven arrays make a statement of fixed
    /// size whatever the batch (issue 13). `ON CONFLICT DO NOTHING` keeps a
    /// retried batch from adding a row twice, as before.
    static let insertLedger = """
        INSERT INTO reference_transactions (transaction_id, account, type, amount, currency, occurred_at, run_id)
        SELECT transaction_id, account, type, amount, currency, occurred_at, $7::integer
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[])
            AS l (transaction_id, account, type, amount, currency, occurred_at)
        ON CONFLICT (transaction_id) DO NOTHING
        """

    /// Publishes a committed batch a previous process may not have put (wholly)
    /// on the stream: what each shard's stream holds above its floor is not
    /// sent again; then clears the outbox.
    func recover(pending: String, world: Int, above floors: [StreamEntryID]?) async throws {
        let messages = try BatchCheckpoint.decodePending(pending)
        let ids = messages.isEmpty ? [] : try await self.appender.appendRecovering(messages, above: floors ?? [])
        if !ids.isEmpty {
            try await WorldStore(database: self.database).clearPending(world: world, streamFloors: try await self.appender.floors())
        } else {
            try await self.database.query("UPDATE generator_worlds SET pending = NULL WHERE world = $1", [world])
        }
    }
}
