import Foundation
import Logging
import PayFlowRedis
import PayFlowRuntime

/// The transport floor on a Redis Cluster: entries `XADD`ed to the shard of
/// their account, then drained by `groups` do-nothing groups, each with one
/// consumer per shard (``ShardedConsumerGroup``), with the CPU of every node
/// (`INFO cpu`) and of this process per entry.
///
/// Run on one master and on three, with the same shards, it says what the
/// cluster costs per event and how the cost spreads over masters: what
/// decides whether more masters (on more machines) raise the platform's
/// ceiling, which one Redis core bounds on one node.
public struct ClusterTransportBenchmark: Sendable {
    public struct Result: Sendable, Codable {
        public var entries: Int
        public var groups: Int
        public var shards: Int
        public var masters: Int
        /// Every node whose CPU is counted (masters and their replicas).
        public var nodes: Int
        public var seconds: Double
        public var entriesPerSecond: Double
        /// All nodes' CPU for the `XADD`s, per entry.
        public var xaddRedisCPUMicrosecondsPerEntry: Double
        /// All nodes' CPU for every group's reads and acks, per entry.
        public var redisCPUMicrosecondsPerEntry: Double
        /// The busiest node's share of that: what bounds the rate per core.
        public var busiestNodeCPUMicrosecondsPerEntry: Double
        /// This process (the consumers) over the drain, per entry.
        public var clientCPUMicrosecondsPerEntry: Double
    }

    public var cluster: RedisClusterConfiguration
    public var shards: Int
    public var entries: Int
    public var batchSize: Int
    public var logger: Logger

    public init(cluster: RedisClusterConfiguration, shards: Int, entries: Int, batchSize: Int, logger: Logger) {
        self.cluster = cluster
        self.shards = shards
        self.entries = entries
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run(groups: Int, stream base: String = "payflow:bench:cluster") async throws -> Result {
        let client = try await RedisCluster.connect(configuration: self.cluster, logger: self.logger)
        let layout = StreamShards(count: self.shards)
        let nodes = client.topology.shards.flatMap { [$0.master] + $0.replicas }
        for shard in layout.shards {
            try await client.send(RedisCommand("DEL", shard.name(base)), key: shard.name(base))
        }

        // The XADDs, each to its account's shard, a pipeline of a shard at a time.
        let beforeXADD = try await Self.cpu(of: nodes, client)
        var pending: [StreamShard: [RedisCommand]] = [:]
        for index in 0..<self.entries {
            let fields = BenchmarkEntry.fields(index: index)
            let shard = layout.shard(ofAccount: fields[4].value)
            var add = RedisCommand("XADD", shard.name(base), "*")
            for field in fields { add.append(field.name); add.append(field.value) }
            pending[shard, default: []].append(add)
            if pending[shard]!.count == 1_000 {
                try await Self.send(pending.removeValue(forKey: shard)!, to: shard, client)
            }
        }
        for (shard, commands) in pending { try await Self.send(commands, to: shard, client) }
        let afterXADD = try await Self.cpu(of: nodes, client)

        // The drain.
        let run = UUID().uuidString.prefix(8)
        let groupNames = (1...groups).map { "bench-\(run)-\($0)" }
        var consumers: [ShardedConsumerGroup<RuntimeBenchmark.NothingHandler>] = []
        for group in groupNames {
            for shard in layout.shards {
                try await client.send(RedisCommand("XGROUP", "CREATE", shard.name(base), group, "0"), key: shard.name(base))
            }
            var configuration = ConsumerGroupConfiguration(group: group, streams: [base], consumerName: "bench")
            configuration.batchSize = self.batchSize
            configuration.block = .milliseconds(50)
            consumers.append(ShardedConsumerGroup(
                configuration: configuration, shards: layout, redis: self.cluster.node, cluster: client,
                handler: RuntimeBenchmark.NothingHandler(), logger: self.logger
            ))
        }
        let before = try await Self.cpu(of: nodes, client)
        let counters = consumers.flatMap(\.consumers).map(\.counters)
        let (elapsed, clientCPU) = try await RuntimeBenchmark.runUntil(
            consumers, acked: self.entries * groups, by: { counters.map(\.snapshot.acked).reduce(0, +) }, logger: self.logger
        )
        let after = try await Self.cpu(of: nodes, client)
        for shard in layout.shards {
            try await client.send(RedisCommand("DEL", shard.name(base)), key: shard.name(base))
        }
        await client.close()

        let entries = Double(self.entries)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let drained = zip(before, after).map { $1 - $0 }
        return Result(
            entries: self.entries, groups: groups, shards: self.shards, masters: client.topology.shards.count,
            nodes: nodes.count, seconds: seconds, entriesPerSecond: entries / seconds,
            xaddRedisCPUMicrosecondsPerEntry: zip(beforeXADD, afterXADD).map { $1 - $0 }.reduce(0, +) * 1e6 / entries,
            redisCPUMicrosecondsPerEntry: drained.reduce(0, +) * 1e6 / entries,
            busiestNodeCPUMicrosecondsPerEntry: (drained.max() ?? 0) * 1e6 / entries,
            clientCPUMicrosecondsPerEntry: clientCPU * 1e6 / entries
        )
    }

    private static func send(_ commands: [RedisCommand], to shard: StreamShard, _ client: RedisCluster) async throws {
        for reply in try await client.pipeline(commands, slot: shard.slot) { try reply.orThrow() }
    }

    /// `INFO cpu` of each node, in seconds, in the order of `nodes`.
    private static func cpu(of nodes: [ClusterNodeAddress], _ client: RedisCluster) async throws -> [Double] {
        var seconds: [Double] = []
        for node in nodes {
            seconds.append(try await RuntimeBenchmark.redisCPU(client.connection(to: node)))
        }
        return seconds
    }
}
