import Logging
import PayFlowPostgres
import PayFlowRedis

/// What `/health` checks: that this process can reach its Redis and its
/// PostgreSQL right now (`PING`, `SELECT 1`, each within a timeout). On a
/// Redis Cluster, "its Redis" is every master: a process reads and writes
/// every shard, so one master gone (its slots not yet taken over) stops its
/// work on those shards; the probe reads the slot map afresh, requires every
/// slot served and `PING`s each master.
///
/// On connections of its own, opened on first use and kept: a probe queued
/// behind a long batch on the workers' connections would report a busy
/// service as a broken one. A failed probe drops its connection so the next
/// one reconnects.
public actor HealthProbe {
    private let redisConfiguration: RedisConfiguration?
    private let clusterConfiguration: RedisClusterConfiguration?
    private let databaseURL: String?
    private let timeout: Duration
    private let logger: Logger
    private var redis: RedisConnection?
    private var cluster: RedisCluster?
    private var database: PostgresConnection?

    /// `cluster`: `REDIS_CLUSTER_NODES`' configuration, which replaces
    /// `redis` when given.
    public init(
        redis: RedisConfiguration?, cluster: RedisClusterConfiguration? = nil, databaseURL: String?,
        timeout: Duration = .seconds(5), logger: Logger
    ) {
        self.redisConfiguration = redis
        self.clusterConfiguration = cluster
        self.databaseURL = databaseURL
        self.timeout = timeout
        self.logger = logger
    }

    public func report() async -> HealthReport {
        var checks: [String: String] = [:]
        if let cluster = self.clusterConfiguration {
            checks["redis"] = await self.checkCluster(cluster)
        } else if self.redisConfiguration != nil {
            checks["redis"] = await self.checkRedis()
        }
        if self.databaseURL != nil {
            checks["postgres"] = await self.checkDatabase()
        }
        return HealthReport(status: checks.values.allSatisfy { $0 == "ok" } ? .ok : .degraded, checks: checks)
    }

    private func checkRedis() async -> String {
        do {
            if self.redis == nil, let configuration = self.redisConfiguration {
                var quick = configuration
                quick.commandTimeout = self.timeout
                let probeConfiguration = quick
                let logger = self.logger
                self.redis = try await Self.within(self.timeout) { try await RedisConnection.connect(configuration: probeConfiguration, logger: logger) }
            }
            guard let redis = self.redis else { return "not configured" }
            let reply = try await Self.within(self.timeout) { try await redis.send(RedisCommand("PING")) }
            return reply.string == "PONG" ? "ok" : "unexpected reply to PING: \(reply)"
        } catch {
            if let redis = self.redis { Task { await redis.close() } }
            self.redis = nil
            return "\(error)"
        }
    }

    private func checkCluster(_ configuration: RedisClusterConfiguration) async -> String {
        let cluster = self.cluster ?? {
            var quick = configuration
            quick.node.commandTimeout = self.timeout
            let cluster = RedisCluster(configuration: quick, logger: self.logger)
            self.cluster = cluster
            return cluster
        }()
        let topology: ClusterTopology
        do {
            topology = try await Self.within(self.timeout) { try await cluster.refreshTopology() }
        } catch {
            return "no node of REDIS_CLUSTER_NODES gave the slot map: \(error)"
        }
        guard topology.coversEverySlot else { return "some slots have no master (a failover under way?)" }
        var problems: [String] = []
        for master in topology.masters {
            let connection = cluster.connection(to: master)
            do {
                let reply = try await Self.within(self.timeout) { try await connection.send(RedisCommand("PING")) }
                if reply.string != "PONG" { problems.append("master \(master): unexpected reply to PING: \(reply)") }
            } catch {
                problems.append("master \(master): \(error)")
            }
        }
        return problems.isEmpty ? "ok" : problems.joined(separator: "; ")
    }

    private func checkDatabase() async -> String {
        do {
            if self.database == nil, let url = self.databaseURL {
                let logger = self.logger
                self.database = try await Self.within(self.timeout) { try await PostgresConnection.connect(url: url, logger: logger) }
            }
            guard let database = self.database else { return "not configured" }
            _ = try await Self.within(self.timeout) { try await database.query("SELECT 1") }
            return "ok"
        } catch {
            if let database = self.database { Task { await database.close() } }
            self.database = nil
            return "\(error)"
        }
    }

    struct TimedOut: Error, CustomStringConvertible {
        var timeout: Duration
        var description: String { "no answer within \(self.timeout)" }
    }

    /// The operation's result, or `TimedOut`; a C call still blocked on its
    /// own thread is left to finish there.
    private static func within<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimedOut(timeout: timeout)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}
