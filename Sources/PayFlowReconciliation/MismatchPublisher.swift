import Logging
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// Moves mismatch rows to `payflow:mismatches`: the publishing half of the
/// ``StreamOutbox`` `reconciliation_mismatches` is.
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
    let outbox: StreamOutbox
    let batchSize: Int

    /// `shards`: the process's layout (`EVENT_SHARDS`); each mismatch goes to
    /// its transaction's shard.
    public init(database: PostgresConnection, redis: any RedisClient, shards: StreamShards = .unsharded, batchSize: Int = 500) {
        self.database = database
        self.outbox = StreamOutbox(
            table: "reconciliation_mismatches", keyColumn: "mismatch_id", keyType: "uuid",
            stream: StreamNames.mismatches, shards: shards, redis: redis,
            load: Self.load
        )
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
            let entries = try rows.map { row in
                let notice = try Self.notice(row)
                return StreamOutbox.Entry(key: notice.mismatchID, shardKey: notice.transactionID, fields: notice.fields)
            }
            try await self.outbox.publish(entries, in: connection)
            return rows.count
        }
    }

    /// The stream entries of stored mismatches, for the ones published again.
    static func load(_ keys: [String], from database: PostgresConnection) async throws -> [StreamOutbox.Entry] {
        try await database.query(Self.selectByKeys, [PostgresArrayLiteral.text(keys)]).rows.map { row in
            let notice = try Self.notice(row)
            return StreamOutbox.Entry(key: notice.mismatchID, shardKey: notice.transactionID, fields: notice.fields)
        }
    }

    static let selectByKeys = """
        SELECT mismatch_id::text AS mismatch_id, kind, transaction_id::text AS transaction_id, expected, actual,
               to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS detected_at
        FROM reconciliation_mismatches
        WHERE mismatch_id = ANY ($1::uuid[])
        ORDER BY detected_at
        """

    /// A claimed row as the `payflow:mismatches` contract carries it.
    static func notice(_ row: PostgresRow) throws -> MismatchNotice {
        let detectedAt = try row.decode("detected_at", as: String.self)
        guard let time = EventTimestamp(rfc3339: detectedAt) else {
            throw PostgresError(code: .decoding, message: "reconciliation_mismatches.detected_at '\(detectedAt)' is not RFC 3339")
        }
        return MismatchNotice(
            mismatchID: try row.decode("mismatch_id", as: String.self),
            kind: try row.decode("kind", as: String.self),
            transactionID: try row.decode("transaction_id", as: String.self),
            expected: try row.decode("expected", as: String.self),
            actual: try row.decode("actual", as: String.self),
            detectedAt: time
        )
    }

    /// Oldest first, so the stream roughly follows detection order.
    static let claimUnpublished = """
        SELECT mismatch_id::text AS mismatch_id, kind, transaction_id::text AS transaction_id, expected, actual,
               to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS detected_at
        FROM reconciliation_mismatches
        WHERE published_at IS NULL
          AND (publishing_at IS NULL OR publishing_at < clock_timestamp() - interval '\(StreamOutbox.claimLease) seconds')
        ORDER BY detected_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED
        """
}
