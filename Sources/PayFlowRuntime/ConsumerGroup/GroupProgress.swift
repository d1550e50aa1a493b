import PayFlowRedis

/// "How far has this consumer group processed this stream?", asked of Redis
/// on a connection the caller owns, for work that must wait until every
/// earlier entry is done across all replicas (the reconciliation sweep, the
/// anti-fraud verdict settler).
///
/// Made from the group's own ``ConsumerGroupConfiguration``, so the group
/// and stream it asks about are the ones the consumer really reads, not
/// names passed by hand beside it.
public struct GroupProgress: Sendable {
    public let group: String
    /// The stream, unsharded (`payflow:events`).
    public let stream: String
    /// Whose names of ``stream`` are read: every shard's.
    public let shards: StreamShards
    let redis: any RedisClient

    /// - Parameters:
    ///   - configuration: The group whose progress to read.
    ///   - stream: One of the group's streams; nil: its first.
    ///   - shards: The process's layout (`EVENT_SHARDS`): the progress is
    ///     the earliest of every shard's.
    ///   - redis: A connection of the caller's, not one of the consumer's
    ///     (those are busy blocking in reads).
    public init(of configuration: ConsumerGroupConfiguration, stream: String? = nil, shards: StreamShards = .unsharded, redis: any RedisClient) {
        precondition(stream.map(configuration.streams.contains) ?? !configuration.streams.isEmpty, "the group does not read \(stream ?? "any stream")")
        self.group = configuration.group
        self.stream = stream ?? configuration.streams[0]
        self.shards = shards
        self.redis = redis
    }

    /// The group's ``ConsumptionWatermark`` on the stream, now.
    public func watermark() async throws(RedisError) -> ConsumptionWatermark {
        var watermarks: [ConsumptionWatermark] = []
        for shard in self.shards.shards {
            let stream = shard.name(self.stream)
            watermarks.append(try await self.redis.withConnection(serving: stream) { redis throws(RedisError) in
                try await ConsumptionWatermark.read(redis: redis, stream: stream, group: self.group)
            })
        }
        return ConsumptionWatermark.earliest(of: watermarks)
    }
}
