import Logging
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import ServiceLifecycle
import Testing

/// One test's private streams and group on the shared test Redis, with the
/// raw commands tests use to look behind the runtime's back.
struct StreamFixture {
    let redis: RedisConnection
    let streams: [String]
    let group: String

    static func make(streams: Int = 1) async throws -> StreamFixture {
        let redis = try await RedisConnection.connect(configuration: RedisConfiguration(url: TestServers.redisURL()))
        let prefix = uniqueName("test")
        return StreamFixture(
            redis: redis,
            streams: (1...streams).map { "\(prefix):stream\($0)" },
            group: "\(prefix):group"
        )
    }

    var stream: String { self.streams[0] }

    /// Timings short enough for tests; the same code paths as production.
    func configuration(consumer: String = "consumer-1") -> ConsumerGroupConfiguration {
        var configuration = ConsumerGroupConfiguration(group: self.group, streams: self.streams, consumerName: consumer)
        configuration.batchSize = 10
        configuration.block = .milliseconds(100)
        configuration.claimMinIdle = .milliseconds(300)
        configuration.claimInterval = .milliseconds(100)
        configuration.maxDeliveries = 3
        configuration.maxRetryBackoff = .milliseconds(200)
        return configuration
    }

    func service<Handler: ConsumerGroupHandler>(
        _ handler: Handler,
        _ configuration: ConsumerGroupConfiguration? = nil
    ) -> ConsumerGroupService<Handler> {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return ConsumerGroupService(
            configuration: configuration ?? self.configuration(),
            redis: self.redis.configuration,
            handler: handler,
            logger: logger
        )
    }

    /// Adds `count` entries with ids `<prefix>-1`, `<prefix>-2`, ... and returns the ids.
    @discardableResult
    func add(_ count: Int, prefix: String = "event", to stream: String? = nil, extra: [(String, String)] = []) async throws -> [String] {
        let ids = (1...count).map { "\(prefix)-\($0)" }
        let producer = StreamProducer(connection: self.redis, maxLength: nil)
        try await producer.add(ids.map { id in
            StreamProducer.Message(stream: stream ?? self.stream, fields: [("id", id), ("amount", "100")] + extra.map { ($0.0, $0.1) })
        })
        return ids
    }

    func createGroup() async throws {
        for stream in self.streams {
            try await self.redis.createGroupIfMissing(stream: stream, group: self.group, startID: "0")
        }
    }

    /// Reads new entries as `consumer` without acking them: a consumer that
    /// took a batch and died.
    func takeWithoutAck(as consumer: String, count: Int) async throws -> [StreamEntry] {
        try await self.redis.readGroup(
            group: self.group, consumer: consumer, streams: self.streams.map { ($0, ">") }, count: count, block: nil
        ).entries
    }

    /// Total pending entries of the group, optionally of one consumer; -1
    /// while the service under test has not created the group yet.
    func pending(stream: String? = nil, consumer: String? = nil) async throws -> Int {
        let reply = try await self.redis.pipeline([RedisCommand("XPENDING", stream ?? self.stream, self.group)])[0]
        if case .error(let message) = reply, message.hasPrefix("NOGROUP") { return -1 }
        guard let summary = reply.array, summary.count == 4 else { return 0 }
        guard let consumer else { return Int(summary[0].integer ?? 0) }
        for row in summary[3].array ?? [] {
            if let pair = row.array, pair.first?.string == consumer { return Int(pair[1].integer ?? 0) }
        }
        return 0
    }

    func deadLetters() async throws -> [StreamEntry] {
        let reply = try await self.redis.send(RedisCommand("XRANGE", "payflow:dlq:\(self.group)", "-", "+"))
        return try (reply.array ?? []).map { item in
            let parts = try #require(item.array)
            var fields: [(name: String, value: String)] = []
            let flat = parts[1].array ?? []
            for index in stride(from: 0, to: flat.count, by: 2) {
                fields.append((flat[index].string ?? "", flat[index + 1].string ?? ""))
            }
            return StreamEntry(stream: "dlq", id: StreamEntryID(parts[0].string ?? "")!, fields: fields)
        }
    }

    func consumerNames() async throws -> [String] {
        try await self.redis.consumers(stream: self.stream, group: self.group).map(\.name)
    }
}

/// Runs `service` while `body` runs, then shuts it down gracefully (as SIGTERM
/// would) and waits for it to return.
func whileRunning<Handler: ConsumerGroupHandler, Result: Sendable>(
    _ service: ConsumerGroupService<Handler>,
    _ body: @Sendable () async throws -> Result
) async throws -> Result {
    try await withServicesRunning([service], body)
}

