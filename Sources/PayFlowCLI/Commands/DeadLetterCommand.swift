import ArgumentParser
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime

/// `payflow dlq replay <group> [--id ...]`: sends dead-lettered entries back
/// to their stream after the cause is fixed.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Work with the dead-letter streams (payflow:dlq:<group>).",
        subcommands: [Replay.self]
    )

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead-lettered entries of a group back to the stream they came from (all, or --id ...).",
            discussion: "Every group reading that stream receives the entry again; the services are idempotent by event id (reconciliation reports the second entry as duplicate_event)."
        )

        @Argument(help: "The consumer group whose dead-letter stream to replay (e.g. notification).")
        var group: String

        @Option(name: .customLong("id"), help: "A dead-letter entry id to replay; repeat for several. Default: every entry.")
        var ids: [String] = []

        @Option(help: "With EVENT_SHARDS above 1: replay from this shard's dead-letter stream only (0-based index). An id names an entry of one stream, and two shards may each hold one with the same id.")
        var shard: Int?

        func run() async throws {
            let parsed = try self.ids.map { text in
                guard let id = StreamEntryID(text) else { throw ValidationError("'\(text)' is not a stream entry id (ms-seq)") }
                return id
            }
            let context = try ProcessContext.bootstrap(label: "payflow.dlq", defaultLogLevel: .warning)
            let environment = context.environment
            // Every shard's dead-letter stream (EVENT_SHARDS), each from the
            // master serving it on a cluster (REDIS_CLUSTER_NODES).
            var cluster: RedisCluster?
            if let configuration = try environment.redisClusterConfiguration() {
                cluster = try await RedisCluster.connect(configuration: configuration, logger: context.logger)
            }
            defer { Task { [cluster] in await cluster?.close() } }
            let shards = StreamShards(count: try environment.eventShards().count, cluster: cluster != nil)
            let deadLetters = ShardedDeadLetters(
                shards: shards, redis: try environment.redisConfiguration(), cluster: cluster, logger: context.logger
            )
            let stream = ConsumerGroupConfiguration.deadLetterStream(forGroup: self.group)
            if let shard = self.shard, !shards.shards.indices.contains(shard) {
                throw ValidationError("--shard: 0...\(shards.count - 1) with \(shards.count) shard\(shards.count == 1 ? "" : "s"), not \(shard)")
            }
            let replayed = try await deadLetters.replay(group: self.group, ids: parsed.isEmpty ? nil : parsed, shard: self.shard)
            for entry in replayed {
                print("\(stream) \(entry.deadLetterID) -> \(entry.stream) \(entry.newID)")
            }
            print("replayed \(replayed.count) entr\(replayed.count == 1 ? "y" : "ies") from \(stream)\(shards.count > 1 ? " (\(shards.count) shards)" : "")")
            let missing = Set(parsed).subtracting(replayed.map { $0.deadLetterID })
            if !missing.isEmpty {
                let ids = missing.map { $0.description }.sorted().joined(separator: ", ")
                throw NotFound(description: "no entry \(ids) in \(stream) on any shard")
            }
        }
    }
}

/// Ids `payflow dlq replay --id` was given that no shard's dead-letter
/// stream holds (the others were replayed).
private struct NotFound: Error, CustomStringConvertible {
    var description: String
}
