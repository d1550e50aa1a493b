import Foundation
import Logging
import PayFlowDomain
import PayFlowPostgres
import PayFlowReconciliation
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import ServiceLifecycle
import Testing

/// A fresh PostgreSQL database (migrated) and a flushed Redis database of its
/// own (the stream name `payflow:events` is fixed), plus helpers to write
/// events and ledger rows by hand and to run reconciliation replicas.
struct ReconciliationFixture: IntegrationFixtureWrapper, Sendable {
    let base: IntegrationFixture
    let settings: ReconciliationSettings
    /// Where the streams live: the base's Redis database, or the test
    /// cluster (three shards, one per master).
    var client: any RedisClient
    var shards: StreamShards = .unsharded
    /// `REDIS_URL` (the service's user) and `REDIS_CLUSTER_NODES` of the
    /// cluster, with `EVENT_SHARDS`; empty on one node.
    var clusterEnvironment: [String: String] = [:]

    static let quietLogger = Logger.quiet("test.reconciliation")

    /// Runs `body` against Redis database `redisDatabase` (flushed: the
    /// stream names are the real ones) and a fresh PostgreSQL database,
    /// cleaning both up afterwards.
    static func with(
        redisDatabase: RedisTestDatabase,
        grace: Duration = .milliseconds(300),
        _ body: (ReconciliationFixture) async throws -> Void
    ) async throws {
        try await IntegrationFixture.with(redisDatabase: redisDatabase) { base in
            try await body(ReconciliationFixture(
                base: base,
                settings: ReconciliationSettings(grace: grace, sweepInterval: .milliseconds(50)),
                client: base.redis
            ))
        }
    }

    /// The same on `placement`: on the test cluster, flushed first (the
    /// stream names are the real ones, so the test holds the cluster alone),
    /// with `EVENT_SHARDS=3`, the replicas following the slot map as the
    /// reconciliation user.
    static func with(
        on placement: RedisPlacement,
        redisDatabase: RedisTestDatabase,
        grace: Duration = .milliseconds(300),
        _ body: (ReconciliationFixture) async throws -> Void
    ) async throws {
        guard placement == .cluster else { return try await Self.with(redisDatabase: redisDatabase, grace: grace, body) }
        try await TestCluster.flushedAndAlone { cluster, client in
            try await Self.with(redisDatabase: redisDatabase, grace: grace) { fixture in
                var onCluster = fixture
                onCluster.client = client
                onCluster.shards = StreamShards(count: 3, cluster: true)
                onCluster.clusterEnvironment = [
                    "REDIS_URL": try #require(cluster.serviceURLs["REDIS_URL_RECONCILIATION"]),
                    "REDIS_CLUSTER_NODES": cluster.masters.map(\.description).joined(separator: ","),
                    "EVENT_SHARDS": "3",
                ]
                try await body(onCluster)
            }
        }
    }

    // MARK: - Writing events and ledger rows

    static func payment(account: String = "acc-000001", amount: Int64 = 1250, currency: Currency = .eur) -> PaymentEvent {
        PaymentEvent(
            id: UUID(), type: .payment, occurredAt: .now(), account: account, amount: amount, currency: currency,
            details: .init(merchant: "mer-0001", country: "DE", ip: "10.0.0.1", device: "dev-1")
        )
    }

    /// Adds `event` to its account's shard of `payflow:events`.
    @discardableResult
    func xadd(_ event: PaymentEvent) async throws -> StreamEntryID {
        let stream = self.shards.shard(ofAccount: event.account).events
        var command = RedisCommand("XADD", stream, "*")
        for field in event.fields {
            command.append(field.name)
            command.append(field.value)
        }
        let reply = try await self.client.withConnection(serving: stream) { [command] redis throws(RedisError) in try await redis.send(command) }
        return StreamEntryID(reply.string ?? "")!
    }

    /// Every entry of `stream` (unsharded) on every shard, as `XRANGE` replies.
    private func range(_ stream: String) async throws -> [RedisReply] {
        var entries: [RedisReply] = []
        for name in self.shards.shards.map({ $0.name(stream) }) {
            let reply = try await self.client.withConnection(serving: name) { redis throws(RedisError) in
                try await redis.send(RedisCommand("XRANGE", name, "-", "+"))
            }
            entries += reply.array ?? []
        }
        return entries
    }

    /// The ledger row the generator would write for `event`, with overrides.
    func insertLedgerRow(for event: PaymentEvent, account: String? = nil, amount: Int64? = nil, currency: Currency? = nil) async throws {
        try await self.database.query(
            """
            INSERT INTO reference_transactions (transaction_id, account, type, amount, currency, occurred_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """,
            [event.id, account ?? event.account, event.type.rawValue, amount ?? event.amount, (currency ?? event.currency).code, event.occurredAt.description]
        )
    }

    // MARK: - Reading results

    struct Mismatch: Hashable, Sendable, CustomStringConvertible {
        var transaction: UUID
        var kind: MismatchKind
        var description: String { "\(self.kind.rawValue) \(self.transaction)" }
    }

    func mismatches() async throws -> Set<Mismatch> {
        Set(try await self.database.query("SELECT transaction_id, kind FROM reconciliation_mismatches").rows.map { row in
            Mismatch(transaction: try row.decode(0, as: UUID.self), kind: MismatchKind(rawValue: try row.decode(1, as: String.self))!)
        })
    }

    func mismatchRowCount() async throws -> Int {
        try await self.database.query("SELECT count(*) FROM reconciliation_mismatches").first!.decode(0, as: Int.self)
    }

    func seenRowCount() async throws -> Int {
        try await self.database.query("SELECT count(*) FROM reconciliation_seen").first!.decode(0, as: Int.self)
    }

    /// `payflow:mismatches` (every shard's), each entry's fields as a dictionary.
    func publishedMismatches() async throws -> [[String: String]] {
        try await self.range(StreamNames.mismatches).map { item in
            let flat = item.array?.last?.array ?? []
            var fields: [String: String] = [:]
            var index = 0
            while index + 1 < flat.count {
                fields[flat[index].string ?? ""] = flat[index + 1].string ?? ""
                index += 2
            }
            return fields
        }
    }

    // MARK: - Running reconciliation

    func handler() async throws -> (ReconciliationHandler, PostgresConnection) {
        let connection = try await PostgresConnection.connect(url: self.databaseURL, logger: Self.quietLogger)
        return (ReconciliationHandler(database: connection), connection)
    }

    /// The settings of one replica, as its process would read them: quick
    /// reads, claims and retries, and the fixture's grace and sweep interval.
    func environment(consumer: String) -> Environment {
        Environment([
            "REDIS_URL": ServiceRole.reconciliation.redisURL(from: self.base.redisURL),
            "DATABASE_URL": ServiceRole.reconciliation.databaseURL(from: self.databaseURL),
            "CONSUMER_NAME": consumer,
            "STREAM_BLOCK_MS": "100",
            "CLAIM_MIN_IDLE_MS": "300",
            "CLAIM_INTERVAL_MS": "100",
            "RETRY_BACKOFF_MAX_MS": "200",
            "STREAM_MAXLEN": "0",
            "RECONCILIATION_GRACE_MS": Self.milliseconds(self.settings.grace),
            "RECONCILIATION_SWEEP_INTERVAL_MS": Self.milliseconds(self.settings.sweepInterval),
        ].merging(self.clusterEnvironment) { $1 })
    }

    private static func milliseconds(_ duration: Duration) -> String {
        "\(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)"
    }

    /// Runs `replicas` reconciliation processes (``ReconciliationService``,
    /// a consumer and a sweep each, own connections) while `body` runs, then
    /// shuts them down gracefully and waits for them.
    func whileRunning(replicas: Int = 1, alongside others: [any Service] = [], _ body: @Sendable () async throws -> Void) async throws {
        var applications: [PayFlowApplication] = []
        for replica in 1...replicas {
            let context = ProcessContext(environment: self.environment(consumer: "replica-\(replica)"), logger: Self.quietLogger)
            applications.append(try await ReconciliationService.make(context))
        }
        try await withApplicationsRunning(applications, alongside: others, body)
    }
}

extension ReconciliationFixture {
    /// The entries of `payflow:events` as the runtime would deliver them
    /// (on one node; shard after shard on the cluster).
    func streamEntries() async throws -> [StreamEntry] {
        try await self.range(StreamNames.events).compactMap { item in
            guard let parts = item.array, parts.count == 2, let id = parts[0].string.flatMap({ StreamEntryID($0) }) else { return nil }
            let flat = parts[1].array ?? []
            var fields: [(name: String, value: String)] = []
            var index = 0
            while index + 1 < flat.count {
                fields.append((flat[index].string ?? "", flat[index + 1].string ?? ""))
                index += 2
            }
            return StreamEntry(stream: StreamNames.events, id: id, fields: fields)
        }
    }
}
