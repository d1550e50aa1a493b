import Hummingbird
import Logging
import PayFlowPostgres
import PayFlowRedis
import ServiceLifecycle

/// One `payflow` process as its service's builder put it together: the
/// workers to run, the HTTP routes it serves, where it listens, and the
/// connections to close once every worker has returned.
///
/// Each service module has one builder (`AntiFraudService.make(_:)` and so
/// on) that returns this. The CLI runs it with ``run()``; tests run its
/// ``workers`` beside their assertions and call ``close()``. Both therefore
/// run the same object graph, and what a test proves is what production runs.
///
/// Not `Sendable`: Hummingbird's router is built up in one place before the
/// server starts, and so is this.
public struct PayFlowApplication {
    public typealias Closer = @Sendable () async -> Void

    /// `REDIS_URL`: where the streams are.
    public let redis: RedisConfiguration
    /// `REDIS_CLUSTER_NODES`: the Redis Cluster the streams live on, with
    /// `REDIS_URL`'s credentials; nil for the one Redis of `REDIS_URL`.
    public let cluster: RedisClusterConfiguration?
    /// `EVENT_SHARDS`: the streams this process reads and writes, one set per
    /// shard; ``StreamShards/unsharded`` (today's names) by default. A
    /// cluster tags even one shard's names (``StreamShards/init(count:cluster:)``).
    public let shards: StreamShards
    /// `DATABASE_URL`: the services' PostgreSQL database.
    public let databaseURL: String
    /// The long-running parts: consumer groups, periodic tasks, the generator.
    public var workers: [any Service] = []
    /// `/health` (checking Redis and PostgreSQL), `/metrics`, `/latency`, plus
    /// the service's own API if it has one.
    public let router: Router<BasicRequestContext>
    public let host: String
    public let port: Int
    public let logger: Logger
    /// `STREAM_TRIM_INTERVAL_MS`, `STREAM_MAXLEN`, `DEAD_LETTER_RETENTION_SECONDS`:
    /// how ``trimStreams(_:)`` trims.
    public let trimming: StreamTrimmingSettings
    /// Run in reverse order by ``close()``, after the workers have returned:
    /// a worker may use a connection until its last batch is acked.
    private var closers: [Closer] = []

    /// Reads the settings every process shares: `REDIS_URL`, `EVENT_SHARDS`,
    /// `DATABASE_URL`, and `HTTP_HOST` / `HTTP_PORT` (`defaultPort` when unset).
    public init(_ context: ProcessContext, defaultPort: Int) throws(ConfigurationError) {
        let environment = context.environment
        self.redis = try environment.redisConfiguration()
        self.cluster = try environment.redisClusterConfiguration()
        self.shards = StreamShards(count: try environment.eventShards().count, cluster: self.cluster != nil)
        self.databaseURL = try environment.databaseURL()
        let address = try environment.httpAddress(defaultPort: defaultPort)
        self.host = address.host
        self.port = address.port
        self.logger = context.logger
        self.trimming = try StreamTrimmingSettings(environment: environment)
        let probe = HealthProbe(redis: self.redis, cluster: self.cluster, databaseURL: self.databaseURL, logger: context.logger)
        self.router = OperationsServer.makeRouter(registry: context.registry, health: { await probe.report() })
    }

    // MARK: - Building

    /// Adds a consumer group that reads with `configuration` and hands its
    /// batches to `handler`, on connections of its own, and the trimming of
    /// its dead-letter stream, which the runtime writes (kept for
    /// `DEAD_LETTER_RETENTION_SECONDS` and until every group has read it).
    ///
    /// `configuration` names the streams unsharded (`payflow:events`); with
    /// `EVENT_SHARDS` above 1 the group gets a consumer per shard
    /// (``ShardedConsumerGroup``), each reading that shard's streams and
    /// dead-lettering to that shard's dead-letter stream.
    public mutating func addConsumerGroup<Handler: ConsumerGroupHandler>(_ configuration: ConsumerGroupConfiguration, handler: Handler) {
        if self.shards == .unsharded {
            self.workers.append(ConsumerGroupService(configuration: configuration, redis: self.redis, handler: handler, logger: self.logger))
        } else {
            self.workers.append(ShardedConsumerGroup(
                configuration: configuration, shards: self.shards, redis: self.redis, cluster: self.makeRedisCluster(),
                handler: handler, logger: self.logger
            ))
        }
        self.trimStreams([StreamTrimmer.Target(stream: configuration.deadLetterStream, maxAge: self.trimming.deadLetterRetention)])
    }

    /// Trims streams this process writes (named unsharded; each on every
    /// shard), every `STREAM_TRIM_INTERVAL_MS`, up
    /// to what their consumer groups still need (``StreamTrimmer``), on a
    /// connection of its own. Replicas doing the same is harmless: each
    /// trims only below what every group needs. Nothing when trimming is off.
    public mutating func trimStreams(_ targets: [StreamTrimmer.Target]) {
        guard let interval = self.trimming.interval, !targets.isEmpty else { return }
        let targets = self.shards.shards.flatMap { shard in
            targets.map { StreamTrimmer.Target(stream: shard.name($0.stream), maxAge: $0.maxAge) }
        }
        let trimmer = StreamTrimmer(redis: self.makeRedisClient(), targets: targets, settings: self.trimming, logger: self.logger)
        let names = targets.map(\.stream).joined(separator: ", ")
        self.workers.append(PeriodicTask(name: "Trimming \(names)", interval: interval, logger: self.logger) {
            try await trimmer.trimAll()
        })
    }

    /// A PostgreSQL session for the process's own statements, closed by ``close()``.
    public mutating func connectDatabase() async throws -> PostgresConnection {
        let database = try await PostgresConnection.connect(url: self.databaseURL, logger: self.logger)
        self.onClose { await database.close() }
        return database
    }

    /// A Redis connection for the process's own commands (a consumer group's
    /// connections are busy blocking in reads), closed by ``close()``. It
    /// connects on first use.
    public mutating func makeRedisConnection() -> RedisConnection {
        let redis = RedisConnection(configuration: self.redis, logger: self.logger)
        self.onClose { await redis.close() }
        return redis
    }

    /// A Redis client for the process's own work on named keys (``RedisClient``):
    /// on a cluster a cluster client of its own (its own connection to each
    /// master, so that its commands never queue behind another part's), else
    /// a connection of its own. Closed by ``close()``.
    public mutating func makeRedisClient() -> any RedisClient {
        self.makeRedisCluster() ?? self.makeRedisConnection()
    }

    /// A cluster client of its own on `REDIS_CLUSTER_NODES`, nil without a
    /// cluster; it reads the slot map on first use. Closed by ``close()``.
    public mutating func makeRedisCluster() -> RedisCluster? {
        guard let configuration = self.cluster else { return nil }
        let cluster = RedisCluster(configuration: configuration, logger: self.logger)
        self.onClose { await cluster.close() }
        return cluster
    }

    /// Runs `purge` every ``RetentionPurge/interval`` on a PostgreSQL session
    /// of its own, so its deletes never queue behind (or ahead of) the
    /// handler's statements. Nil: the retention setting is 0, keep everything.
    public mutating func addRetentionPurge(_ purge: RetentionPurge?) async throws {
        guard let purge else { return }
        let database = try await self.connectDatabase()
        let logger = self.logger
        self.workers.append(PeriodicTask(name: "Purging \(purge.name)", interval: purge.interval, logger: logger) {
            let deleted = try await purge.purge(database)
            if deleted > 0 {
                logger.info("Purged rows past their retention", metadata: ["purge": "\(purge.name)", "rows": "\(deleted)"])
            }
        })
    }

    /// Registers something else to release once the workers are done.
    public mutating func onClose(_ closer: @escaping Closer) {
        self.closers.append(closer)
    }

    // MARK: - Running

    /// Serves HTTP and runs the workers until SIGTERM or SIGINT, then closes
    /// what the builder opened, also when a worker failed.
    public func run() async throws {
        let result: Result<Void, any Error>
        do {
            try await OperationsServer.run(self.workers, router: self.router, host: self.host, port: self.port, logger: self.logger)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await self.close()
        try result.get()
    }

    /// Closes what the builder opened, last opened first.
    public func close() async {
        for closer in self.closers.reversed() {
            await closer()
        }
    }
}
