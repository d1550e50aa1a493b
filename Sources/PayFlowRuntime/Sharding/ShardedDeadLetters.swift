import Logging
import PayFlowRedis

/// A group's dead letters on every shard: how many wait on each, and the
/// replay of all of them, each back to the stream (and so the shard) it
/// came from.
///
/// One ``DeadLetterReplay`` per shard, on a connection of its own to the
/// shard's master: a replay `WATCH`es the dead-letter stream and re-adds the
/// entry in a `MULTI`/`EXEC`, which a cluster runs only within one slot, and
/// a shard's dead letters share its slot with the streams they came from.
public struct ShardedDeadLetters: Sendable {
    public let shards: StreamShards
    let redis: RedisConfiguration
    let cluster: RedisCluster?
    let logger: Logger

    /// `cluster` nil: every shard on the node of `redis`.
    public init(shards: StreamShards, redis: RedisConfiguration, cluster: RedisCluster?, logger: Logger) {
        self.shards = shards
        self.redis = redis
        self.cluster = cluster
        self.logger = logger
    }

    /// The length of `group`'s dead-letter stream on each shard, in shard order.
    public func lengths(group: String) async throws -> [Int] {
        var lengths: [Int] = []
        for shard in self.shards.shards {
            let length = try await self.withConnection(to: shard) { redis in
                try await redis.send(RedisCommand("XLEN", shard.deadLetterStream(forGroup: group))).integer ?? 0
            }
            lengths.append(Int(length))
        }
        return lengths
    }

    /// Replays every dead letter of `group`, shard by shard. A shard whose
    /// master changed mid-replay is replayed again from the new master; what
    /// the first attempt sent is then gone from the dead-letter stream, so it
    /// is sent once, but the result lists only the last attempt's entries.
    public func replayAll(group: String) async throws -> [DeadLetterReplay.Replayed] {
        try await self.replay(group: group, ids: nil)
    }

    /// Replays the dead letters of `group` with these ids (every one when
    /// nil), each from the shard that holds it; ids found on no shard are
    /// skipped (the caller compares the result with what it asked for).
    ///
    /// An id names an entry of one stream only: dead letters of two shards
    /// written in the same millisecond can share one, and both are then
    /// replayed, each to its own shard, unless `shard` (an index) limits the
    /// replay to one shard.
    public func replay(group: String, ids: [StreamEntryID]?, shard only: Int? = nil) async throws -> [DeadLetterReplay.Replayed] {
        var replayed: [DeadLetterReplay.Replayed] = []
        for shard in self.shards.shards where only.map({ $0 == shard.index }) ?? true {
            replayed += try await self.withConnection(to: shard) { redis in
                try await DeadLetterReplay(redis: redis).replay(
                    deadLetterStream: shard.deadLetterStream(forGroup: group), ids: ids, skippingMissing: true
                )
            }
        }
        return replayed
    }

    /// Runs `body` on a connection of its own to the master of `shard`. On
    /// a cluster, when the slot moved or its master failed over meanwhile
    /// (a redirect, a broken connection), reads the slot map again and runs
    /// `body` again on the new master: what `body` does here is safe to
    /// repeat, since a replay finds an entry it already sent gone from the
    /// dead-letter stream.
    private func withConnection<Value: Sendable>(
        to shard: StreamShard,
        _ body: (RedisConnection) async throws -> Value
    ) async throws -> Value {
        guard let cluster = self.cluster else {
            return try await Self.using(self.redis, self.logger, body)
        }
        return try await cluster.onMaster(of: shard.slot) { master in
            try await Self.using(cluster.configuration.node(at: master), self.logger, body)
        }
    }

    private static func using<Value: Sendable>(
        _ configuration: RedisConfiguration,
        _ logger: Logger,
        _ body: (RedisConnection) async throws -> Value
    ) async throws -> Value {
        let connection = try await RedisConnection.connect(configuration: configuration, logger: logger)
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }
}
