import Logging
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The services' ACL users (`redis/users.acl`) on a cluster: a service
/// reads the slot map and its streams' shards, and is still refused what it
/// was refused on one node.
@Suite("Service users on a Redis Cluster")
struct ServiceUsersOnClusterTests {
    /// Audit-log, as its own user, consumes the real sharded streams (events
    /// the generator's user added) and dead-letters on its shard; it may not
    /// add to the events.
    @Test func aServiceConsumesAndDeadLettersItsShardsAsItsOwnUser() async throws {
        try await TestCluster.steadily {
            let cluster = try await TestCluster.shared()
            let shards = StreamShards(count: 3)
            func user(_ service: String) throws -> RedisClusterConfiguration {
                let url = try #require(cluster.serviceURLs["REDIS_URL_\(service)"])
                return try RedisClusterConfiguration(url: url, nodes: cluster.masters.map(\.description).joined(separator: ","))
            }
            let generator = try await RedisCluster.connect(configuration: try user("GENERATOR"))
            let auditLog = try await RedisCluster.connect(configuration: try user("AUDIT_LOG"))
            defer { Task { await generator.close(); await auditLog.close() } }

            var added: [String] = []
            for shard in shards.shards {
                for index in 0..<20 {
                    let id = "acl-\(shard.index)-\(index)"
                    try await generator.send(RedisCommand("XADD", shard.events, "*", "id", id), key: shard.events)
                    added.append(id)
                }
                try await generator.send(RedisCommand("XADD", shard.events, "*", "malformed", "on \(shard)"), key: shard.events)
            }

            let promised = added
            let handler = ScriptedHandler()
            var configuration = ConsumerGroupConfiguration(
                group: ConsumerGroupName.auditLog.name, streams: ConsumerGroupName.auditLog.streams, consumerName: "acl-test"
            )
            configuration.block = .milliseconds(100)
            configuration.claimInterval = .milliseconds(200)
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let group = ShardedConsumerGroup(
                configuration: configuration, shards: shards, redis: auditLog.configuration.node, cluster: auditLog,
                handler: handler, logger: logger
            )
            try await withServicesRunning([group]) {
                try await eventually("every entry handled and the malformed ones dead-lettered") {
                    Set(handler.order).isSuperset(of: promised)
                        && group.consumers.reduce(0) { $0 + $1.counters.snapshot.deadLettered } == 3
                }
            }
            for shard in shards.shards {
                let deadLetters = try await auditLog.send(RedisCommand("XLEN", shard.deadLetterStream(forGroup: "audit-log")), key: shard.events)
                #expect(deadLetters == .integer(1), "\(shard)")
                let refused = try await auditLog.pipeline([RedisCommand("XADD", shard.events, "*", "id", "forged")], slot: shard.slot)[0]
                guard case .error(let message) = refused else {
                    Issue.record("audit-log added to \(shard.events): \(refused)")
                    continue
                }
                #expect(message.hasPrefix("NOPERM"), "\(message)")
            }
        }
    }
}
