import PayFlowPostgres
import PayFlowRedis

/// A PostgreSQL table used as the outbox of a stream: how a service writes a
/// finding "to PostgreSQL and to the stream, without loss" (anti-fraud's
/// `fraud_alerts` → `payflow:alerts`, reconciliation's
/// `reconciliation_mismatches` → `payflow:mismatches`).
///
/// The pattern is one for both, so it lives here once:
/// 1. the row is committed first, with `published_at` NULL (durable before
///    anything is announced);
/// 2. its entry is appended to the stream (``publish(_:in:)``, one pipeline);
/// 3. the row is marked published (`published_at = now()`).
///
/// A failure anywhere leaves the row unmarked, and whoever publishes next
/// publishes it again: at least once, never lost. A crash between 2 and 3
/// publishes an entry twice, so every entry carries its row's key and readers
/// dedupe by it. Once marked, a row is never published again.
///
/// Which rows a service publishes, and when, is its own business: anti-fraud
/// publishes the unpublished rows of the batch it just inserted
/// (``unpublished(among:in:)``); reconciliation claims the oldest unpublished
/// rows in a transaction (`FOR UPDATE SKIP LOCKED`) and publishes them in it.
public struct StreamOutbox: Sendable {
    /// One row's stream entry.
    public struct Entry: Sendable {
        /// The row's key: the value of the table's key column, as text.
        public var key: String
        public var fields: [(name: String, value: String)]

        public init(key: String, fields: [(name: String, value: String)]) {
            self.key = key
            self.fields = fields
        }
    }

    /// The stream the rows are published on.
    public let stream: String
    private let producer: StreamProducer
    private let selectUnpublished: String
    private let markPublished: String

    /// `table` needs a key column and a nullable `published_at timestamptz`.
    /// `keyType` is the key column's SQL type (`text`, `uuid`): keys travel
    /// as one array parameter of that type. Names and type are constants of
    /// the caller's schema, never values.
    public init(
        table: String,
        keyColumn: String,
        keyType: String,
        stream: String,
        redis: RedisConnection
    ) {
        self.stream = stream
        // No MAXLEN: the stream is trimmed to what its groups still need
        // (``StreamTrimmer``), never blindly on append.
        self.producer = StreamProducer(connection: redis, maxLength: nil)
        let table = PostgresIdentifier.quoted(table)
        let key = PostgresIdentifier.quoted(keyColumn)
        self.selectUnpublished =
            "SELECT \(key)::text FROM \(table) WHERE \(key) = ANY ($1::\(keyType)[]) AND published_at IS NULL"
        self.markPublished =
            "UPDATE \(table) SET published_at = now() WHERE \(key) = ANY ($1::\(keyType)[]) AND published_at IS NULL"
    }

    /// The keys among `keys` whose rows exist and are not marked published.
    public func unpublished(among keys: [String], in database: PostgresConnection) async throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        let rows = try await database.query(self.selectUnpublished, [PostgresArrayLiteral.text(keys)]).rows
        return Set(try rows.map { try $0.decode(0, as: String.self) })
    }

    /// Appends the entries to the stream in order, in one round trip, then
    /// marks their rows published. Throws
    /// before marking if any append failed. Pass the connection of the
    /// transaction that holds the rows when the caller claimed them.
    public func publish(_ entries: [Entry], in database: PostgresConnection) async throws {
        guard !entries.isEmpty else { return }
        try await self.producer.add(entries.map { StreamProducer.Message(stream: self.stream, fields: $0.fields) })
        try await database.query(self.markPublished, [PostgresArrayLiteral.text(entries.map(\.key))])
    }
}
