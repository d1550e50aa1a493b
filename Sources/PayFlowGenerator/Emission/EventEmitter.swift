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
/// by a ``RetrySafeAppender`` that skips the entries a cut pipeline already
/// wrote. Retrying a batch after a failure thus adds neither a ledger row nor
/// a stream entry twice; a second entry of an event on the stream is only
/// ever an injected `duplicate_event`.
struct EventEmitter: Sendable {
    let database: PostgresConnection
    let appender: RetrySafeAppender

    init(database: PostgresConnection, producer: StreamProducer) {
        self.database = database
        self.appender = RetrySafeAppender(producer: producer, stream: StreamNames.events, keyField: PaymentEvent.Field.id)
    }

    /// Emits a batch and returns one stream entry id per emission, in order.
    func emit(_ batch: [SimulatedEvent]) async throws -> [StreamEntryID] {
        let ledger = batch.compactMap(\.ledger)
        let labels = batch.flatMap(\.labels)
        if !ledger.isEmpty || !labels.isEmpty {
            try await self.database.withTransaction { connection in
                if !ledger.isEmpty {
                    try await connection.insertRows(
                        into: "reference_transactions",
                        columns: ["transaction_id", "account", "type", "amount", "currency", "occurred_at"],
                        rows: ledger.map { record -> [(any PostgresEncodable)?] in
                            [record.transactionID, record.account, record.type.rawValue, record.amount, record.currency.code, record.occurredAt.description]
                        },
                        onConflict: "ON CONFLICT (transaction_id) DO NOTHING"
                    )
                }
                if !labels.isEmpty {
                    try await connection.insertRows(
                        into: "generator_ground_truth",
                        columns: ["category", "name", "transaction_id", "incident_id"],
                        rows: labels.map { label -> [(any PostgresEncodable)?] in [label.category, label.name, label.transactionID, label.incidentID] },
                        onConflict: "ON CONFLICT (category, name, transaction_id) DO NOTHING"
                    )
                }
            }
        }
        var messages: [RetrySafeAppender.Fields] = []
        for simulated in batch {
            let fields = simulated.event.fields
            for _ in 0..<simulated.emissions {
                messages.append(fields)
            }
        }
        return try await self.appender.append(messages)
    }
}
