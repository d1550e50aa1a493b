import ArgumentParser
import Foundation
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime

/// `payflow streams`: PayFlow's streams, consumer groups and dead-letter
/// streams in one table, from Redis alone; `--watch` refreshes it (the live
/// status of `make run`).
struct StreamsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streams",
        abstract: "Print each stream (length, first/last id), each group (consumers, pending, lag, last delivered, oldest pending) and each DLQ (size, reasons)."
    )

    @Flag(help: "Refresh every --interval seconds until interrupted, with rates.")
    var watch = false

    @Option(help: "Seconds between refreshes with --watch.")
    var interval: Double = 1

    @Option(help: "How many shards the streams are spread over (default: EVENT_SHARDS). With REDIS_CLUSTER_NODES each shard is read from the master serving it.")
    var shards: Int?

    @Flag(help: "A row per shard (payflow:events:{tag}) instead of one per stream summed over the shards.")
    var perShard = false

    func validate() throws {
        guard self.interval > 0 else { throw ValidationError("--interval must be positive") }
        if let shards = self.shards, !(1...StreamShards.maximumCount).contains(shards) {
            throw ValidationError("--shards: 1...\(StreamShards.maximumCount), not \(shards)")
        }
    }

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.streams", defaultLogLevel: .warning)
        let deadLetters = ConsumerGroupName.platform.map { ConsumerGroupConfiguration.deadLetterStream(forGroup: $0.name) }
        let count = try self.shards ?? context.environment.eventShards().count
        let cluster = try context.environment.redisClusterConfiguration()
        let layout = StreamShards(count: count, cluster: cluster != nil)
        let redis: any RedisClient
        let close: @Sendable () async -> Void
        if let cluster {
            let client = try await RedisCluster.connect(configuration: cluster, logger: context.logger)
            (redis, close) = (client, { await client.close() })
        } else {
            let connection = try await RedisConnection.connect(configuration: try context.environment.redisConfiguration(), logger: context.logger)
            (redis, close) = (connection, { await connection.close() })
        }
        let read: @Sendable () async throws -> StreamsSnapshot = {
            try await StreamsSnapshot.read(redis: redis, shards: layout, streams: StreamNames.business, deadLetterStreams: deadLetters)
        }
        defer { Task { await close() } }
        let perShard = self.perShard
        let snapshot: @Sendable () async throws -> StreamsSnapshot = {
            let snapshot = try await read()
            return perShard ? snapshot : snapshot.summedOverShards()
        }
        guard self.watch else {
            print(StreamsTable(current: try await snapshot()).rendered)
            return
        }
        var previous: StreamsSnapshot?
        while !Task.isCancelled {
            let current = try await snapshot()
            let table = StreamsTable(current: current, previous: previous).rendered
            // Clear the screen and home the cursor, then draw.
            print("\u{1B}[2J\u{1B}[H" + "PayFlow — \(Date().formatted(date: .omitted, time: .standard))  (Ctrl-C to stop)\n\n" + table)
            previous = current
            try await Task.sleep(for: .milliseconds(Int(self.interval * 1000)))
        }
    }
}
