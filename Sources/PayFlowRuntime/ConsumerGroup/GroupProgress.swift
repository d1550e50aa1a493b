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
    public let stream: String
    let redis: RedisConnection

    /// - Parameters:
    ///   - configuration: The group whose progress to read.
    ///   - stream: One of the group's streams; nil: its first.
    ///   - redis: A connection of the caller's, not one of the consumer's
    ///     (those are busy blocking in reads).
    public init(of configuration: ConsumerGroupConfiguration, stream: String? = nil, redis: RedisConnection) {
        precondition(stream.map(configuration.streams.contains) ?? !configuration.streams.isEmpty, "the group does not read \(stream ?? "any stream")")
        self.group = configuration.group
        self.stream = stream ?? configuration.streams[0]
        self.redis = redis
    }

    /// The group's ``ConsumptionWatermark`` on the stream, now.
    public func watermark() async throws(RedisError) -> ConsumptionWatermark {
        try await ConsumptionWatermark.read(redis: self.redis, stream: self.stream, group: self.group)
    }
}
