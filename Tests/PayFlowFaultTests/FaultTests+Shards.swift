import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

extension FaultTests {
    /// `EVENT_SHARDS=3` on one Redis: the generator spreads the events over
    /// three shards by account, anti-fraud and reconciliation publish on
    /// their shards, every group reads every shard. Checked like every fault
    /// case, and its alerts must be the fault-free run's on one stream:
    /// sharding changes where entries live, not what the platform concludes.
    @Test func theWholePlatformOnThreeShards() async throws {
        let reference = try await Self.reference()
        try await Platform.with(redisDatabase: .faultThreeShards) { platform in
            platform.extraEnvironment["EVENT_SHARDS"] = "3"
            try platform.startServices(replicas: 1)
            try await platform.waitUntilEveryReplicaReads(replicas: 1)
            try await Self.startTraffic(on: platform)
            try await Self.finishTrafficAndVerify(on: platform, InvariantCheck.Expectations(reference: reference))

            for stream in [StreamNames.events, StreamNames.alerts] {
                for name in platform.names(of: stream) {
                    #expect(try await platform.length(ofShardStream: name) > 0, "\(name) is empty: the shards are not all used")
                }
                #expect(try await platform.length(ofShardStream: stream) == 0, "\(stream) itself was written to")
            }
        }
    }

    /// The same on the test cluster: three masters (one replica each), the
    /// three shards one per master, every process following the slot map
    /// (`REDIS_CLUSTER_NODES`). Checked like every fault case, alerts equal
    /// to the single-stream run's.
    @Test func theWholePlatformOnAThreeMasterCluster() async throws {
        let reference = try await Self.reference()
        try await Platform.withCluster { platform in
            platform.extraEnvironment["EVENT_SHARDS"] = "3"
            try platform.startServices(replicas: 1)
            try await platform.waitUntilEveryReplicaReads(replicas: 1)
            try await Self.startTraffic(on: platform)
            try await Self.finishTrafficAndVerify(on: platform, InvariantCheck.Expectations(reference: reference))

            var masters: Set<ClusterNodeAddress> = []
            for shard in platform.shards.shards {
                #expect(try await platform.length(ofShardStream: shard.events) > 0, "\(shard.events) is empty")
                let configuration = try await platform.client.connection(serving: shard.events).configuration
                masters.insert(ClusterNodeAddress(host: configuration.host, port: configuration.port))
            }
            #expect(masters.count == 3, "the three shards are served by three masters")
        }
    }
}
