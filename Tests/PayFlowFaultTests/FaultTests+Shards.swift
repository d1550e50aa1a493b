import PayFlowDomain
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
}
