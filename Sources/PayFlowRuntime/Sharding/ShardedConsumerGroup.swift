import Logging
import PayFlowRedis
import ServiceLifecycle

/// One consumer of a group on every shard of the streams: a
/// ``ConsumerGroupService`` per shard around the one handler, each on the
/// connections of its shard's master.
///
/// Why a consumer per shard rather than one read for all: on a cluster a
/// command's keys must share a slot, so the shards cannot be read, claimed,
/// acked or dead-lettered together; and a blocking read of one shard would
/// hold back the others if they shared a connection. Each shard therefore
/// keeps its own read and claim loops, its own pending list and its own
/// dead-letter stream, and follows its own master through failovers.
///
/// The handler is called by every shard's loops at once, which its contract
/// allows already (the read and claim loops of one consumer call it at once).
public struct ShardedConsumerGroup<Handler: ConsumerGroupHandler>: Service {
    /// One per shard, in shard order.
    public let consumers: [ConsumerGroupService<Handler>]

    /// `configuration` names the group, its streams' unsharded names
    /// (`payflow:events`) and the tuning; each shard's consumer reads those
    /// names on its shard. `cluster` nil runs every shard on the node of
    /// `redis`.
    public init(
        configuration: ConsumerGroupConfiguration,
        shards: StreamShards,
        redis: RedisConfiguration,
        cluster: RedisCluster?,
        handler: Handler,
        logger: Logger
    ) {
        self.consumers = shards.shards.map { shard in
            var sharded = configuration
            sharded.streams = configuration.streams.map(shard.name)
            sharded.deadLetterStream = shard.name(configuration.deadLetterStream)
            let route: RedisRoute = cluster.map { .cluster($0, slot: shard.slot) } ?? .node(redis)
            var logger = logger
            if shard.tag != nil { logger[metadataKey: "shard"] = "\(shard.index)" }
            return ConsumerGroupService(configuration: sharded, route: route, handler: handler, logger: logger)
        }
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for consumer in self.consumers {
                group.addTask { try await consumer.run() }
            }
        }
    }
}
