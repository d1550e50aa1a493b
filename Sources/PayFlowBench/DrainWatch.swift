import Foundation
import Logging
import PayFlowAuditLog
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// Waits until the platform has done everything with what is on its streams,
/// and says when that happened: the end of `make bench`'s end-to-end run.
///
/// "Done" means: every watched group has read every entry of every stream it
/// reads (lag 0) and acked it (nothing pending), and, when a `databaseURL`
/// is given, `audit_log` holds one row per entry of every PayFlow stream. Settled alerts
/// and swept mismatches come a little after the last event, and the groups
/// must then handle those too; so the state must hold, unchanged, for
/// `stableFor` before it counts, and the time reported is when it was first seen.
public struct DrainWatch: Sendable {
    public struct Result: Codable, Sendable {
        /// When the final drained state was first seen (Unix ms, this host's
        /// clock: the one Redis stamps entry ids with when run on the same host).
        public var drainedAtMilliseconds: Int64
        /// Entries on each stream at that time.
        public var streamLengths: [String: Int]
        /// The millisecond parts of the first and last ids on `payflow:events`.
        public var firstEventMilliseconds: Int64?
        public var lastEventMilliseconds: Int64?
        public var auditRows: Int?
    }

    public var redis: RedisConfiguration
    /// `REDIS_CLUSTER_NODES`: the streams are read from the master of each
    /// shard's slot.
    public var cluster: RedisClusterConfiguration?
    /// `EVENT_SHARDS`: each stream is watched on every shard, and its
    /// lengths summed.
    public var shards: StreamShards
    public var databaseURL: String?
    public var groups: [String]
    public var expectedEvents: Int
    public var stableFor: Duration
    public var logger: Logger

    public init(
        redis: RedisConfiguration, cluster: RedisClusterConfiguration? = nil, shards: StreamShards = .unsharded,
        databaseURL: String?, groups: [String], expectedEvents: Int, stableFor: Duration, logger: Logger
    ) {
        self.redis = redis
        self.cluster = cluster
        self.shards = shards
        self.databaseURL = databaseURL
        self.groups = groups
        self.expectedEvents = expectedEvents
        self.stableFor = stableFor
        self.logger = logger
    }

    private struct Observation: Equatable {
        var lengths: [String: Int]
        var auditRows: Int?
    }

    public func wait(timeout: Duration) async throws -> Result {
        let redis: any RedisClient = if let cluster = self.cluster {
            try await RedisCluster.connect(configuration: cluster, logger: self.logger)
        } else {
            try await RedisConnection.connect(configuration: self.redis, logger: self.logger)
        }
        var database: PostgresConnection?
        do {
            if let url = self.databaseURL {
                database = try await PostgresConnection.connect(url: url, logger: self.logger)
            }
            let result = try await self.watch(redis: redis, database: database, timeout: timeout)
            await Self.close(redis)
            await database?.close()
            return result
        } catch {
            await Self.close(redis)
            await database?.close()
            throw error
        }
    }

    private static func close(_ redis: any RedisClient) async {
        if let cluster = redis as? RedisCluster { await cluster.close() }
        if let connection = redis as? RedisConnection { await connection.close() }
    }

    private func watch(redis: any RedisClient, database: PostgresConnection?, timeout: Duration) async throws -> Result {
        let deadline = ContinuousClock.now + timeout
        var candidate: (observation: Observation, seenAt: Date, since: ContinuousClock.Instant)?
        while ContinuousClock.now < deadline {
            let seenAt = Date()
            guard let observation = try await self.drainedObservation(redis: redis, database: database, counted: candidate?.observation) else {
                candidate = nil
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            guard let current = candidate, current.observation == observation else {
                candidate = (observation, seenAt, ContinuousClock.now)
                continue
            }
            if ContinuousClock.now - current.since >= self.stableFor {
                // The first and last events of all shards.
                var first: Int64?
                var last: Int64?
                for shard in self.shards.shards {
                    let events = try await Self.info(of: shard.events, on: redis)
                    if let id = events?.firstEntryID { first = min(first ?? .max, Int64(clamping: id.milliseconds)) }
                    if let id = events?.lastEntryID { last = max(last ?? .min, Int64(clamping: id.milliseconds)) }
                }
                return Result(
                    drainedAtMilliseconds: Int64(current.seenAt.timeIntervalSince1970 * 1000),
                    streamLengths: observation.lengths,
                    firstEventMilliseconds: first,
                    lastEventMilliseconds: last,
                    auditRows: observation.auditRows
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DrainWatchError(message: "not drained within \(timeout)")
    }

    /// The state when everything is handled, or nil while something is not.
    ///
    /// `counted` is the drained state seen last, whose audit rows were
    /// counted. With the same stream lengths and every group caught up with
    /// nothing pending, no row can have come or gone since (audit-log writes
    /// a row only for an entry it has not acked), so it is not counted again:
    /// `count(*)` over `audit_log` is a sequential scan, and at every poll of
    /// the stable window it was up to ~11 µs per event of the "postgres" CPU
    /// that `make bench` reports for the platform (30-odd scans per run of
    /// 100,000 events).
    private func drainedObservation(redis: any RedisClient, database: PostgresConnection?, counted: Observation?) async throws -> Observation? {
        // Lengths by stream, unsharded (summed over shards).
        var lengths: [String: Int] = [:]
        for stream in AuditLogService.streams {
            for shard in self.shards.shards {
                let name = shard.name(stream)
                guard let info = try await Self.info(of: name, on: redis) else { continue }
                lengths[stream, default: 0] += info.length
                var groupsOnStream: Set<String> = []
                let groups = try await redis.withConnection(serving: name) { connection throws(RedisError) in try await connection.groups(of: name) }
                for group in groups where self.groups.contains(group.name) {
                    groupsOnStream.insert(group.name)
                    let caughtUp = group.lag.map { $0 == 0 } ?? (group.lastDeliveredID == info.lastGeneratedID)
                    guard caughtUp, group.pending == 0 else { return nil }
                }
                // Every watched group reads every shard's events.
                if stream == StreamNames.events, groupsOnStream != Set(self.groups) { return nil }
            }
        }
        guard (lengths[StreamNames.events] ?? 0) >= self.expectedEvents else { return nil }
        guard let database else { return Observation(lengths: lengths) }
        if let counted, counted.lengths == lengths, counted.auditRows != nil { return counted }
        let rows = try await database.query("SELECT count(*) FROM audit_log").rows.first.map { try $0.decode(0, as: Int.self) } ?? 0
        guard rows == lengths.values.reduce(0, +) else { return nil }
        return Observation(lengths: lengths, auditRows: rows)
    }
}

extension DrainWatch {
    /// `XINFO STREAM` of one shard's stream, from the server that serves it.
    fileprivate static func info(of stream: String, on redis: any RedisClient) async throws(RedisError) -> StreamInfo? {
        try await redis.withConnection(serving: stream) { connection throws(RedisError) in try await connection.streamInfo(stream) }
    }
}

public struct DrainWatchError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }
}
