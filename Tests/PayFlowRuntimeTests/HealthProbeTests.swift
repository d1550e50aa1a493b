import Logging
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

@Suite("/health probes the dependencies")
struct HealthProbeTests {
    @Test func reportsOkWhenBothAnswerAndNamesWhatIsDown() async throws {
        let redis = try RedisConfiguration(url: try await TestServers.redisURL())
        let databaseURL = try await TestServers.databaseURL()
        // A generous timeout: the whole suite connects at once at start-up.
        let healthy = await HealthProbe(redis: redis, databaseURL: databaseURL, timeout: .seconds(60), logger: Logger(label: "test")).report()
        #expect(healthy.status == .ok)
        #expect(healthy.checks == ["redis": "ok", "postgres": "ok"])

        // Nothing listens on port 1 of loopback.
        let down = await HealthProbe(
            redis: try RedisConfiguration(url: "redis://127.0.0.1:1/0"),
            databaseURL: "postgres://payflow@127.0.0.1:1/payflow",
            timeout: .seconds(3),
            logger: Logger(label: "test")
        ).report()
        #expect(down.status == .degraded)
        #expect(down.checks["redis"] != "ok")
        #expect(down.checks["postgres"] != "ok")
    }

    /// On a cluster `/health` asks every master, from a slot map read afresh.
    @Test func onAClusterEveryMasterIsAskedAndUnreachableNodesAreNamed() async throws {
        try await TestCluster.steadily {
            let cluster = try await TestCluster.shared()
            let healthy = await HealthProbe(
                redis: nil, cluster: try cluster.configuration, databaseURL: nil, timeout: .seconds(30), logger: Logger(label: "test")
            ).report()
            #expect(healthy.status == .ok)
            #expect(healthy.checks == ["redis": "ok"])
        }
        let nowhere = try RedisClusterConfiguration(url: "redis://127.0.0.1:1/0", nodes: "127.0.0.1:1")
        let down = await HealthProbe(redis: nil, cluster: nowhere, databaseURL: nil, timeout: .seconds(3), logger: Logger(label: "test")).report()
        #expect(down.status == .degraded)
        #expect(down.checks["redis"]?.contains("slot map") == true, "\(down.checks)")
    }
}
