import ArgumentParser
import Foundation
import Logging
import PayFlowBench
import PayFlowDomain
import PayFlowNotification
import PayFlowRedis
import PayFlowRuntime

/// `payflow bench ...`: the parts of `make bench` written in Swift. The script
/// `scripts/bench` starts the servers and services and calls these: `runtime`
/// measures the consumer-group runtime alone; `drained`, `latency` and
/// `alert-latency` take the figures of a platform run; `webhook-receiver` is
/// the slow downstream of the notification scaling run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (see make bench).",
        subcommands: [Runtime.self, Cluster.self, Drained.self, Latency.self, AlertLatencyCommand.self, WebhookReceiver.self]
    )

    struct Runtime: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drain pre-loaded entries with a do-nothing handler: entries/s and CPU per entry (client and Redis), per consumer count. Prints JSON."
        )

        @Option(help: "Entries to pre-load and drain.")
        var entries: Int = 500_000

        @Option(help: "Consumer counts to measure, comma-separated.")
        var consumers: String = "1,4"

        @Option(help: "Groups that each drain every entry, at once (5: the platform's transport without its services).")
        var groups: Int = 1

        @Option(help: "COUNT of each read.")
        var batchSize: Int = 256

        @Option(help: "The stream to use (deleted first).")
        var stream: String = "payflow:bench:runtime"

        func run() async throws {
            let context = try ProcessContext.bootstrap(label: "payflow.bench", defaultLogLevel: .warning)
            guard self.groups > 0 else { throw ValidationError("--groups: \(self.groups) is not a positive count") }
            let counts = try self.consumers.split(separator: ",").map { text in
                guard let count = Int(text), count > 0 else { throw ValidationError("--consumers: '\(text)' is not a positive count") }
                return count
            }
            let benchmark = RuntimeBenchmark(
                redis: try context.environment.redisConfiguration(), entries: self.entries, batchSize: self.batchSize, logger: context.logger
            )
            var results: [RuntimeBenchmark.Result] = []
            for count in counts {
                try await benchmark.preload(stream: self.stream)
                let result = try await benchmark.drain(stream: self.stream, consumers: count, groups: self.groups)
                FileHandle.standardError.write(Data(String(
                    format: "bench runtime: %d group(s) of %d consumer(s): %.0f entries/s (%.2f s), CPU per entry: client %.2f µs, Redis %.2f µs\n",
                    self.groups, count, result.entriesPerSecond, result.seconds, result.clientCPUMicrosecondsPerEntry,
                    result.redisCPUMicrosecondsPerEntry
                ).utf8))
                results.append(result)
            }
            let connection = try await RedisConnection.connect(configuration: try context.environment.redisConfiguration(), logger: context.logger)
            try await connection.send(RedisCommand("DEL", self.stream))
            await connection.close()
            printJSON(results)
        }
    }

    struct Cluster: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The transport floor on a Redis Cluster (REDIS_CLUSTER_NODES): entries XADDed to their account's shard, drained by do-nothing groups with a consumer per shard; CPU per entry of every node and of the consumers. Prints JSON."
        )

        @Option(help: "Entries to pre-load and drain.")
        var entries: Int = 200_000

        @Option(help: "Shards the entries are spread over (EVENT_SHARDS).")
        var shards: Int = 3

        @Option(help: "Groups that each drain every entry, at once.")
        var groups: Int = 5

        @Option(help: "COUNT of each read.")
        var batchSize: Int = 256

        func run() async throws {
            let context = try ProcessContext.bootstrap(label: "payflow.bench", defaultLogLevel: .warning)
            guard let cluster = try context.environment.redisClusterConfiguration() else {
                throw ValidationError("REDIS_CLUSTER_NODES is not set: this benchmark runs on a Redis Cluster")
            }
            guard (1...StreamShards.maximumCount).contains(self.shards) else {
                throw ValidationError("--shards: 1...\(StreamShards.maximumCount), not \(self.shards)")
            }
            guard self.groups > 0, self.entries > 0 else { throw ValidationError("--groups and --entries must be positive") }
            let benchmark = ClusterTransportBenchmark(
                cluster: cluster, shards: self.shards, entries: self.entries, batchSize: self.batchSize, logger: context.logger
            )
            let result = try await benchmark.run(groups: self.groups)
            FileHandle.standardError.write(Data(String(
                format: "bench cluster: %d master(s), %d shard(s), %d group(s): %.0f entries/s; CPU per entry: XADD Redis %.2f µs, read+ack Redis %.2f µs (busiest node %.2f), client %.2f µs\n",
                result.masters, result.shards, result.groups, result.entriesPerSecond, result.xaddRedisCPUMicrosecondsPerEntry,
                result.redisCPUMicrosecondsPerEntry, result.busiestNodeCPUMicrosecondsPerEntry, result.clientCPUMicrosecondsPerEntry
            ).utf8))
            printJSON([result])
        }
    }

    struct Drained: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wait until the groups have read and acked every entry (and audit_log holds them all); print when, as JSON."
        )

        @Option(help: "Consumer groups to wait for, comma-separated (default: all five).")
        var groups: String = ConsumerGroupName.platform.map(\.name).joined(separator: ",")

        @Option(help: "Wait for at least this many entries on payflow:events.")
        var events: Int = 0

        @Flag(help: "Also wait until audit_log holds one row per stream entry (uses DATABASE_URL).")
        var audit = false

        @Option(help: "How long the drained state must hold unchanged, in seconds.")
        var stable: Double = 3

        @Option(help: "Give up after this many seconds.")
        var timeout: Double = 1_800

        func run() async throws {
            let context = try ProcessContext.bootstrap(label: "payflow.bench", defaultLogLevel: .warning)
            let cluster = try context.environment.redisClusterConfiguration()
            let watch = DrainWatch(
                redis: try context.environment.redisConfiguration(),
                cluster: cluster,
                shards: StreamShards(count: try context.environment.eventShards().count, cluster: cluster != nil),
                databaseURL: self.audit ? try context.environment.databaseURL() : nil,
                groups: self.groups.split(separator: ",").map(String.init),
                expectedEvents: self.events,
                stableFor: .milliseconds(Int64(self.stable * 1000)),
                logger: context.logger
            )
            printJSON(try await watch.wait(timeout: .milliseconds(Int64(self.timeout * 1000))))
        }
    }

    struct Latency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge GET /latency answers of service replicas (files) into one XADD-to-ack report per group; prints JSON."
        )

        @Argument(help: "Files holding the JSON of GET /latency, one per process.")
        var files: [String]

        func run() async throws {
            var byGroup: [String: [EntryLatencyReport]] = [:]
            for file in self.files {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                for report in try JSONDecoder().decode([EntryLatencyReport].self, from: data) {
                    byGroup[report.group, default: []].append(report)
                }
            }
            let merged = byGroup.keys.sorted().map { group in
                EntryLatencyReport.merged(byGroup[group]!, group: group, stream: "*")
            }
            printJSON(merged.map { report in
                GroupLatency(group: report.group, entries: report.count, p50Milliseconds: report.p50, p99Milliseconds: report.p99, maxMilliseconds: report.max)
            })
        }

        struct GroupLatency: Codable {
            var group: String
            var entries: UInt64
            var p50Milliseconds: UInt64
            var p99Milliseconds: UInt64
            var maxMilliseconds: UInt64
        }
    }

    struct AlertLatencyCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alert-latency",
            abstract: "Event-to-alert latency from the entry ids of payflow:events and payflow:alerts; prints JSON."
        )

        @Option(help: "Only events after this entry id (exclusive).")
        var eventsAfter: String = "0"

        @Option(help: "Only alerts after this entry id (exclusive).")
        var alertsAfter: String = "0"

        func run() async throws {
            let context = try ProcessContext.bootstrap(label: "payflow.bench", defaultLogLevel: .warning)
            let latency = AlertLatency(redis: try context.environment.redisConfiguration(), logger: context.logger)
            printJSON(try await latency.measure(eventsAfter: self.eventsAfter, alertsAfter: self.alertsAfter))
        }
    }

    struct WebhookReceiver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "webhook-receiver",
            abstract: "A webhook endpoint that answers 204 after a delay (the slow downstream of the scaling run)."
        )

        @Option(help: "Port to listen on (127.0.0.1).")
        var port: Int

        @Option(help: "Delay before each answer, in milliseconds.")
        var delayMs: Int = 5

        @Option(help: "The notification service's WEBHOOK_SECRET (whsec_<base64>); requests not signed with it, or older than 5 min, get 401.")
        var secret: String

        func run() async throws {
            let context = try ProcessContext.bootstrap(label: "payflow.bench.webhook", defaultLogLevel: .warning)
            guard let secret = WebhookSecret(self.secret) else {
                throw ValidationError("--secret: \(WebhookSecret.problem(with: self.secret) ?? "not a webhook secret")")
            }
            try await SlowWebhookReceiver(host: "127.0.0.1", port: self.port, delay: .milliseconds(self.delayMs), secret: secret, logger: context.logger).run()
        }
    }
}

private func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self))
}
