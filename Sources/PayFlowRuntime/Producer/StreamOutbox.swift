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
/// 2. a publisher claims it (`publishing_at`, one `UPDATE`: of two replicas
///    that raise the same finding at once, one gets it), or holds it in a
///    transaction (`FOR UPDATE SKIP LOCKED`, reconciliation);
/// 3. its entry is appended to the stream (one pipeline);
/// 4. the row is marked published with the entry id the `XADD` returned
///    (`published_at`, `published_id`).
///
/// A failure before 4 leaves the row unmarked, and whoever publishes next
/// publishes it again: at least once, never lost. A crash between 3 and 4
/// publishes an entry twice, so every entry carries its row's key and readers
/// dedupe by it. A claim whose publisher died is taken over after
/// ``claimLease`` by ``StreamOutboxRepair``, which also publishes again the
/// rows marked published whose entry a Redis restart lost (the tail of an
/// AOF not yet on disk).
///
/// Which rows a service publishes, and when, is its own business: anti-fraud
/// publishes the rows of the batch it just inserted (``publishUnclaimed(_:in:)``);
/// reconciliation claims the oldest unpublished rows in a transaction and
/// publishes them in it (``publish(_:in:)``).
public struct StreamOutbox: Sendable {
    /// One row's stream entry.
    public struct Entry: Sendable {
        /// The row's key: the value of the table's key column, as text.
        public var key: String
        /// What picks the entry's shard (`EVENT_SHARDS`): an alert's account,
        /// so that it lands beside the account's events; a mismatch's
        /// transaction. Only the spread matters on one stream.
        public var shardKey: String
        public var fields: [(name: String, value: String)]

        public init(key: String, shardKey: String, fields: [(name: String, value: String)]) {
            self.key = key
            self.shardKey = shardKey
            self.fields = fields
        }
    }

    /// Reads the entries of the rows with these keys (on the connection given),
    /// for the rows the repair publishes again.
    public typealias Loader = @Sendable (_ keys: [String], _ database: PostgresConnection) async throws -> [Entry]

    /// How long a claim protects a row from other publishers: far longer than
    /// one `XADD` pipeline takes, short enough that a dead publisher's rows
    /// are soon published by someone else.
    public static let claimLease = 10

    /// The stream the rows are published on, unsharded (`payflow:alerts`).
    public let stream: String
    /// The layout of the streams: each entry goes to its shard key's shard.
    public let shards: StreamShards
    let producer: StreamProducer
    let load: Loader
    private let claim: String
    private let release: String
    private let markPublished: String
    let claimStale: String
    let selectPublishedBetween: String
    let reclaimLost: String
    /// Where a publish's time goes (`outbox_claim`, `outbox_xadd`, `outbox_mark`), if the owner measures it.
    let stages: BatchStageTimers?

    /// `table` needs a key column and the nullable `published_at timestamptz`,
    /// `publishing_at timestamptz` and `published_id text` (migration 0013).
    /// `keyType` is the key column's SQL type (`text`, `uuid`): keys travel
    /// as one array parameter of that type. Names and type are constants of
    /// the caller's schema, never values.
    public init(
        table: String,
        keyColumn: String,
        keyType: String,
        stream: String,
        shards: StreamShards = .unsharded,
        redis: any RedisClient,
        stages: BatchStageTimers? = nil,
        load: @escaping Loader
    ) {
        self.stream = stream
        self.shards = shards
        self.stages = stages
        // No MAXLEN: the stream is trimmed to what its groups still need
        // (``StreamTrimmer``), never blindly on append.
        self.producer = StreamProducer(client: redis, maxLength: nil)
        self.load = load
        let table = PostgresIdentifier.quoted(table)
        let key = PostgresIdentifier.quoted(keyColumn)
        let lease = "interval '\(Self.claimLease) seconds'"
        self.claim = """
            UPDATE \(table) SET publishing_at = clock_timestamp()
            WHERE \(key) = ANY ($1::\(keyType)[]) AND published_at IS NULL
              AND (publishing_at IS NULL OR publishing_at < clock_timestamp() - \(lease))
            RETURNING \(key)::text
            """
        self.release = "UPDATE \(table) SET publishing_at = NULL WHERE \(key) = ANY ($1::\(keyType)[]) AND published_at IS NULL"
        self.markPublished = """
            UPDATE \(table) AS t SET published_at = now(), published_id = v.id, publishing_at = NULL
            FROM unnest($1::\(keyType)[], $2::text[]) AS v(key, id)
            WHERE t.\(key) = v.key
            """
        self.claimStale = """
            UPDATE \(table) SET publishing_at = clock_timestamp()
            WHERE published_at IS NULL AND publishing_at < clock_timestamp() - \(lease)
            RETURNING \(key)::text
            """
        self.selectPublishedBetween = """
            SELECT \(key)::text, published_id FROM \(table)
            WHERE published_id IS NOT NULL
              AND split_part(published_id, '-', 1)::bigint BETWEEN $1 AND $2
            """
        // Compare-and-set on the entry id: of two replicas repairing at once,
        // one takes the row back.
        self.reclaimLost = """
            UPDATE \(table) AS t SET published_at = NULL, published_id = NULL, publishing_at = clock_timestamp()
            FROM unnest($1::\(keyType)[], $2::text[]) AS v(key, id)
            WHERE t.\(key) = v.key AND t.published_id = v.id
            RETURNING t.\(key)::text
            """
    }

    /// Claims the rows of `entries` nobody has published or is publishing,
    /// appends their entries and marks them. Rows another publisher holds are
    /// left to it (or, should it die, to the repair). Throws before marking if
    /// an append failed, after releasing the claims so the caller's retry
    /// publishes them.
    public func publishUnclaimed(_ entries: [Entry], in database: PostgresConnection) async throws {
        guard !entries.isEmpty else { return }
        let claiming = ContinuousClock.now
        let claimed = Set(try await database.query(self.claim, [PostgresArrayLiteral.text(entries.map(\.key))]).rows.map {
            try $0.decode(0, as: String.self)
        })
        self.stages?.record("outbox_claim", since: claiming)
        // Keys come back as the database prints them (a uuid in lower case).
        // A batch may carry one row twice (two events re-judged one payment):
        // its first entry is the one published.
        var seen: Set<String> = []
        let mine = entries.filter { entry in
            (claimed.contains(entry.key) || claimed.contains(entry.key.lowercased())) && seen.insert(entry.key).inserted
        }
        try await self.publishClaimed(mine, in: database)
    }

    /// Appends the entries to the stream in order, in one round trip, then
    /// marks their rows published with their entry ids. The caller holds the
    /// rows (its transaction locked them, or it claimed them). Throws before
    /// marking if any append failed.
    public func publish(_ entries: [Entry], in database: PostgresConnection) async throws {
        guard !entries.isEmpty else { return }
        let adding = ContinuousClock.now
        let ids = try await self.producer.add(entries.map { StreamProducer.Message(stream: self.stream(of: $0), fields: $0.fields) })
        self.stages?.record("outbox_xadd", since: adding)
        let marking = ContinuousClock.now
        defer { self.stages?.record("outbox_mark", since: marking) }
        try await database.query(self.markPublished, [PostgresArrayLiteral.text(entries.map(\.key)), PostgresArrayLiteral.text(ids.map(\.description))])
    }

    /// The stream `entry` is published on: its shard key's shard's.
    public func stream(of entry: Entry) -> String {
        self.shards.shard(ofAccount: entry.shardKey).name(self.stream)
    }

    /// The claim of step 2 as SQL, the keys as `$1` (an array of the key
    /// type): `UPDATE ... RETURNING key::text`. For an owner that claims in the
    /// statement that inserts its rows (anti-fraud: one commit instead of two
    /// per batch); it then publishes what it claimed with ``publishClaimed(_:in:)``.
    public var claimStatement: String { self.claim }

    /// ``publish(_:in:)`` for claimed rows: a failed append releases the
    /// claims at once, so the caller's retry need not wait for the lease.
    public func publishClaimed(_ entries: [Entry], in database: PostgresConnection) async throws {
        guard !entries.isEmpty else { return }
        do {
            try await self.publish(entries, in: database)
        } catch {
            _ = try? await database.query(self.release, [PostgresArrayLiteral.text(entries.map(\.key))])
            throw error
        }
    }
}
