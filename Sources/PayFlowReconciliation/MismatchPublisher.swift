import Logging
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// Moves mismatch rows to `payflow:mismatches`: the outbox half of "to
/// PostgreSQL and to the stream, without loss".
///
/// Rows are committed first (by the handler or the sweep) with
/// `published_at` NULL; this XADDs them and then marks them published, in a
/// transaction that holds the rows with `FOR UPDATE SKIP LOCKED`, so two
/// replicas publish disjoint sets. A crash between the XADD and the commit
/// re-publishes those rows later: at least once, never lost. Readers dedupe
/// by `mismatch_id`, which is derived from (transaction id, kind) and is thus
/// the same on every copy.
public struct MismatchPublisher: Sendable {
    let database: PostgresConnection
    let producer: StreamProducer
    let batchSize: Int

    public init(database: PostgresConnection, redis: RedisConnection, streamMaxLength: Int?, batchSize: Int = 500) {
        self.database = database
        self.producer = StreamProducer(connection: redis, maxLength: streamMaxLength)
        self.batchSize = batchSize
    }

    /// Publishes every unpublished row; returns how many it published.
    @discardableResult
    public func publishPending() async throws -> Int {
        var total = 0
        while true {
            let published = try await self.publishBatch()
            total += published
            if published < self.batchSize { return total }
        }
    }

    private func publishBatch() async throws -> Int {
        try await self.database.withTransaction { connection -> Int in
            let rows = try await connection.query(Self.claimUnpublished, [self.batchSize]).rows
            guard !rows.isEmpty else { return 0 }
            var messages: [StreamProducer.Message] = []
            var ids: [String] = []
            for row in rows {
                let id = try row.decode("mismatch_id", as: String.self)
                ids.append(id)
                messages.append(StreamProducer.Message(stream: StreamNames.mismatches, fields: [
                    ("mismatch_id", id),
                    ("kind", try row.decode("kind", as: String.self)),
                    ("transaction_id", try row.decode("transaction_id", as: String.self)),
                    ("expected", try row.decode("expected", as: String.self)),
                    ("actual", try row.decode("actual", as: String.self)),
                    ("detected_at", try row.decode("detected_at", as: String.self)),
                ]))
            }
            try await self.producer.add(messages)
            try await connection.query(
                "UPDATE reconciliation_mismatches SET published_at = now() WHERE mismatch_id = ANY ($1::uuid[])",
                [PostgresArrayLiteral.text(ids)]
            )
            return rows.count
        }
    }

    /// Oldest first, so the stream roughly follows detection order.
    static let claimUnpublished = """
        SELECT mismatch_id::text AS mismatch_id, kind, transaction_id::text AS transaction_id, expected, actual,
               to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS detected_at
        FROM reconciliation_mismatches
        WHERE published_at IS NULL
        ORDER BY detected_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED
        """
}
