import Foundation
import Logging
import Metrics
import PayFlowPostgres
import PayFlowRedis

/// Appends records to one hash chain: the chain of this process.
///
/// An actor that appends one batch at a time, because a handler may be
/// called by several loops at once (the concurrency contract of
/// `ConsumerGroupHandler`: a consumer's read and claim loops, and with
/// `EVENT_SHARDS` every shard's), and a chain is a sequence: each row's hash
/// depends on the row before. The actor alone is not enough: its methods
/// interleave at each `await`, so two batches would read the same head and
/// one would find it moved (seen with three shards: batches refused as
/// "head kept moving"). Each process has a chain of its own (a fresh id per
/// start), so replicas never contend on a chain head; see
/// `db/0007_audit_log.sql`.
///
/// Idempotency: an entry already stored (by this chain or another one, after
/// a redelivery or a claim) makes the batch's statement fail on the primary
/// key, changing nothing; the writer then leaves out what is stored and
/// hashes again, so the chain never has a hole. Checking first would cost a
/// read on every batch for what only a redelivery brings. Two writers racing
/// on the same entry end the same way. The rows and the chain head are
/// written by one statement, so a batch is in the chain entirely or not at all.
public actor AuditChainWriter {
    public nonisolated let chainID: UUID
    let consumer: String
    let database: PostgresConnection
    let logger: Logger
    /// The hash content every row of this chain starts with (version, chain id).
    let chainPrefix: [UInt8]

    private var head: (sequence: Int64, hash: [UInt8])?
    private var knownPartitions: Set<Int64> = []
    /// An append is under way; the others wait here, in arrival order.
    private var appending = false
    private var waitingAppends: [CheckedContinuation<Void, Never>] = []

    private static let rowsWritten = Counter(label: "payflow_audit_rows_total")
    private static let duplicatesSkipped = Counter(label: "payflow_audit_duplicates_skipped_total")

    public init(database: PostgresConnection, consumer: String, chainID: UUID = UUID(), logger: Logger) {
        self.database = database
        self.consumer = consumer
        self.chainID = chainID
        self.chainPrefix = AuditRowHash.chainPrefix(chainID)
        self.logger = logger
    }

    /// Stores the records not stored yet; returns how many it added. Returns
    /// only once they are committed.
    @discardableResult
    public func append(_ records: [AuditRecord]) async throws -> Int {
        await self.waitForTurn()
        defer { self.endTurn() }
        return try await self.appendAlone(records)
    }

    private func waitForTurn() async {
        guard self.appending else {
            self.appending = true
            return
        }
        await withCheckedContinuation { self.waitingAppends.append($0) }
    }

    private func endTurn() {
        if self.waitingAppends.isEmpty {
            self.appending = false
        } else {
            self.waitingAppends.removeFirst().resume()
        }
    }

    private func appendAlone(_ records: [AuditRecord]) async throws -> Int {
        var unique: [AuditRecord] = []
        var seen: Set<StreamEntry.Key> = []
        for record in records where seen.insert(StreamEntry.Key(stream: record.stream, id: record.entryID)).inserted {
            unique.append(record)
        }
        var attempt = 0
        while true {
            attempt += 1
            // A writer that knows its head writes them all at the first attempt:
            // an entry already stored fails the statement on the primary key
            // (23505, nothing written), and the next attempt leaves out what is
            // stored. Entries come twice only after a redelivery, so the usual
            // batch saves a read. Without a head (the first batch, or after an
            // error whose outcome is unknown) it checks first, so a process that
            // gets only entries stored already starts no chain.
            let writeAll = attempt == 1 && self.head != nil
            let fresh = writeAll ? unique : try await self.withoutStored(unique)
            guard !fresh.isEmpty else {
                Self.duplicatesSkipped.increment(by: records.count)
                return 0
            }
            try await self.ensurePartitions(for: fresh)
            let head = try await self.currentHead()
            do {
                if let advanced = try await self.write(fresh, after: head) {
                    self.head = advanced
                    Self.rowsWritten.increment(by: fresh.count)
                    Self.duplicatesSkipped.increment(by: records.count - fresh.count)
                    return fresh.count
                }
                // The stored head is not where this writer left it (a commit whose
                // answer was lost): reload it and try again.
                self.head = nil
            } catch let error as PostgresError where error.sqlState == "23505" && attempt < 5 {
                // One of these entries is stored already (a redelivery), or another
                // writer stored it meanwhile: filter and try again.
                self.logger.debug("audit entry stored already; retrying without it", metadata: ["chain": "\(self.chainID)"])
            } catch {
                // The outcome of the statement is unknown (connection lost): the next
                // attempt reloads the head and re-checks what is stored.
                self.head = nil
                throw error
            }
            guard attempt < 5 else {
                throw PostgresError(code: .queryFailed, message: "audit chain \(self.chainID): head kept moving under this writer")
            }
        }
    }

    private func currentHead() async throws -> (sequence: Int64, hash: [UInt8]) {
        if let head = self.head { return head }
        try await self.database.query(
            "INSERT INTO audit_chains (chain_id, consumer) VALUES ($1::uuid, $2) ON CONFLICT (chain_id) DO NOTHING",
            [self.chainID, self.consumer]
        )
        let rows = try await self.database.query(
            "SELECT last_seq, encode(last_hash, 'hex') AS last_hash FROM audit_chains WHERE chain_id = $1::uuid",
            [self.chainID]
        ).rows
        guard let row = rows.first, let hash = AuditRowHash.bytes(hex: try row.decode("last_hash", as: String.self)) else {
            throw PostgresError(code: .decoding, message: "audit chain \(self.chainID) has no readable head")
        }
        let head = (sequence: try row.decode("last_seq", as: Int64.self), hash: hash)
        self.head = head
        return head
    }

    private func withoutStored(_ records: [AuditRecord]) async throws -> [AuditRecord] {
        guard !records.isEmpty else { return [] }
        var streams = PostgresArrayLiteral.Builder(capacity: records.count * 24)
        var entryIDs = PostgresArrayLiteral.Builder(capacity: records.count * 24)
        var entryMilliseconds = PostgresArrayLiteral.Builder(capacity: records.count * 16)
        for record in records {
            streams.append(text: record.stream)
            entryIDs.append(entryID: record.entryID)
            entryMilliseconds.append(integer: record.entryMilliseconds)
        }
        let stored = try await self.database.query(Self.selectStored, [
            streams.finished(), entryIDs.finished(), entryMilliseconds.finished(),
        ]).rows
        guard !stored.isEmpty else { return records }
        var keys: Set<StreamEntry.Key> = []
        for row in stored {
            guard let id = StreamEntryID(try row.decode("entry_id", as: String.self)) else { continue }
            keys.insert(StreamEntry.Key(stream: try row.decode("stream", as: String.self), id: id))
        }
        return records.filter { !keys.contains(StreamEntry.Key(stream: $0.stream, id: $0.entryID)) }
    }

    private func ensurePartitions(for records: [AuditRecord]) async throws {
        let millisecondsPerDay: Int64 = 86_400_000
        let days = Set(records.map { $0.entryMilliseconds / millisecondsPerDay }).subtracting(self.knownPartitions)
        guard !days.isEmpty else { return }
        try await self.database.query(
            "SELECT audit_log_ensure_partition((timestamptz 'epoch' + d * interval '1 day')::date) FROM unnest($1::bigint[]) AS d",
            [PostgresArrayLiteral.integers(days.sorted())]
        )
        self.knownPartitions.formUnion(days)
    }

    /// Returns the new head, or nil when the stored head was not `head`.
    ///
    /// Hashes and parameters are written in one pass over the records, into
    /// byte buffers (`PostgresArrayLiteral.Builder`, ``AuditFieldsJSON``): this is the
    /// audit-log's hot path, once per row.
    private func write(_ records: [AuditRecord], after head: (sequence: Int64, hash: [UInt8])) async throws -> (sequence: Int64, hash: [UInt8])? {
        var previous = head.hash
        var sequence = head.sequence
        let capacity = records.count * 48
        var streams = PostgresArrayLiteral.Builder(capacity: capacity)
        var entryIDs = PostgresArrayLiteral.Builder(capacity: capacity)
        var entryMilliseconds = PostgresArrayLiteral.Builder(capacity: capacity)
        var eventIDs = PostgresArrayLiteral.Builder(capacity: capacity)
        var types = PostgresArrayLiteral.Builder(capacity: capacity)
        var fields = PostgresArrayLiteral.Builder(capacity: records.reduce(0) { $0 + $1.fieldBytes + $1.fields.count * 8 } + 64)
        var receivedAt = PostgresArrayLiteral.Builder(capacity: capacity)
        var sequences = PostgresArrayLiteral.Builder(capacity: capacity)
        var previousHashes = PostgresArrayLiteral.Builder(capacity: records.count * 66)
        var rowHashes = PostgresArrayLiteral.Builder(capacity: records.count * 66)
        var scratch: [UInt8] = []
        var json: [UInt8] = []
        for record in records {
            sequence += 1
            let hash = AuditRowHash.hash(previous: previous, chain: self.chainPrefix, sequence: sequence, record: record, scratch: &scratch)
            streams.append(text: record.stream)
            entryIDs.append(entryID: record.entryID)
            entryMilliseconds.append(integer: record.entryMilliseconds)
            eventIDs.append(text: record.eventID ?? "")
            types.append(text: record.type ?? "")
            json.removeAll(keepingCapacity: true)
            AuditFieldsJSON.append(record.fields, to: &json)
            fields.append(utf8: json)
            receivedAt.append(integer: record.receivedAtMicroseconds)
            sequences.append(integer: sequence)
            previousHashes.append(hex: previous)
            rowHashes.append(hex: hash)
            previous = hash
        }
        let result = try await self.database.query(Self.insertAndAdvance, [
            self.chainID,
            sequence,
            AuditRowHash.hex(previous),
            head.sequence,
            streams.finished(),
            entryIDs.finished(),
            entryMilliseconds.finished(),
            eventIDs.finished(),
            types.finished(),
            fields.finished(),
            receivedAt.finished(),
            sequences.finished(),
            previousHashes.finished(),
            rowHashes.finished(),
        ])
        guard let row = result.rows.first, try row.decode("heads", as: Int64.self) == 1 else { return nil }
        let inserted = try row.decode("inserted", as: Int64.self)
        guard inserted == Int64(records.count) else {
            throw PostgresError(code: .queryFailed, message: "audit chain \(self.chainID): inserted \(inserted) of \(records.count) rows")
        }
        return (sequence, previous)
    }

    /// $1 stream, $2 entry ids, $3 entry milliseconds.
    static let selectStored = """
        SELECT s.stream, s.entry_id
        FROM unnest($1::text[], $2::text[], $3::bigint[]) AS s (stream, entry_id, entry_ms)
        WHERE EXISTS (
            SELECT 1 FROM audit_log a
            WHERE a.stream = s.stream AND a.entry_id = s.entry_id
              AND a.entry_time = timestamptz 'epoch' + s.entry_ms * interval '1 millisecond'
        )
        """

    /// $1 chain, $2 new last seq, $3 new last hash (hex), $4 expected last seq,
    /// $5... the rows. The rows are inserted only if the head moved, in the
    /// same statement (one commit); empty `event_id`/`type` mean NULL.
    static let insertAndAdvance = """
        WITH head AS (
            UPDATE audit_chains SET last_seq = $2, last_hash = decode($3, 'hex')
            WHERE chain_id = $1::uuid AND last_seq = $4
            RETURNING chain_id
        ),
        inserted AS (
            INSERT INTO audit_log (stream, entry_id, entry_time, event_id, type, fields, received_at,
                                   chain_id, chain_seq, prev_hash, row_hash)
            SELECT r.stream, r.entry_id, timestamptz 'epoch' + r.entry_ms * interval '1 millisecond',
                   NULLIF(r.event_id, ''), NULLIF(r.type, ''), r.fields::jsonb,
                   timestamptz 'epoch' + r.received_us * interval '1 microsecond',
                   head.chain_id, r.seq, decode(r.prev_hash, 'hex'), decode(r.row_hash, 'hex')
            FROM head, unnest($5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[],
                              $11::bigint[], $12::bigint[], $13::text[], $14::text[])
                AS r (stream, entry_id, entry_ms, event_id, type, fields, received_us, seq, prev_hash, row_hash)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM head) AS heads, (SELECT count(*) FROM inserted) AS inserted
        """
}
