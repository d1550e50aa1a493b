import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// `REDIS_WAIT_REPLICAS`: a write counts as written once that many replicas
/// confirmed it (`WAIT`), so that the loss of a master cannot take it along.
@Suite("Replica acknowledgement (REDIS_WAIT_REPLICAS)")
struct ReplicaAcknowledgementTests {
    /// The test server has no replica: a batch asked to be confirmed by one
    /// is written but reported as not replicated (a retriable outage), and
    /// the appender's retry neither adds it again nor reports it written.
    @Test func aWriteNoReplicaConfirmedIsReportedNotReplicatedAndNotDoubledOnRetry() async throws {
        var configuration = try RedisConfiguration(url: try await TestServers.redisURL())
        configuration.replicasToWaitFor = 1
        configuration.replicaWaitTimeout = .milliseconds(50)
        let redis = try await RedisConnection.connect(configuration: configuration)
        defer { Task { await redis.close() } }
        let stream = uniqueName("test:wait")
        let appender = RetrySafeAppender(producer: StreamProducer(connection: redis, maxLength: nil), stream: stream, keyField: "id")
        let batch = (1...5).map { [(name: "id", value: "e\($0)")] }

        for attempt in 1...2 {
            do {
                try await appender.append(batch)
                Issue.record("attempt \(attempt) counted as written without a replica")
            } catch {
                #expect(error.code == .notReplicated, "attempt \(attempt): \(error)")
                #expect(error.isRetriable)
                #expect(HandlerFailure.isOutage(error), "a consumer must wait and retry, not spend deliveries")
            }
        }
        #expect(try await redis.send(RedisCommand("XLEN", stream)).integer == 5, "written once, retried without doubling")
        _ = try await redis.send(RedisCommand("DEL", stream))
    }

    /// On the test cluster every master has a replica: a batch over three
    /// shards is confirmed on each master's round trip, and a retry that
    /// finds its batch written confirms it too.
    @Test func aWriteEveryMastersReplicaConfirmedCountsAsWritten() async throws {
        try await TestCluster.steadily {
            let client = try await Self.clientWaitingForAReplica()
            defer { Task { await client.close() } }
            let shards = StreamShards(count: 3, cluster: true)
            let base = uniqueName("test:wait")
            let producer = StreamProducer(client: client, maxLength: nil)
            let messages = (0..<30).map { StreamProducer.Message(stream: shards.shard(ofAccount: "account-\($0)").name(base), fields: [("n", "\($0)")]) }
            let ids = try await producer.add(messages)
            #expect(ids.count == 30)
            for shard in shards.shards {
                try await producer.awaitReplicas(of: shard.name(base))
                _ = try await client.withConnection(serving: shard.name(base)) { connection throws(RedisError) in try await connection.send(RedisCommand("DEL", shard.name(base))) }
            }
        }
    }
}

extension ReplicaAcknowledgementTests {
    /// A producer waiting for replicas, across a `CLUSTER FAILOVER` of its
    /// stream's master: the attempt that meets the switch reports it (a
    /// redirect or a broken connection, never "not replicated", which would
    /// not make the client read the map again), the retry reaches the new
    /// master, whose replica (the old master) confirms, and nothing doubles.
    @Test func aProducerWaitingForReplicasFollowsAFailover() async throws {
        try await TestCluster.exclusively {
            let cluster = try await TestCluster.shared()
            let client = try await Self.clientWaitingForAReplica()
            defer { Task { await client.close() } }
            let stream = uniqueName("test:wait-failover")
            let appender = RetrySafeAppender(producer: StreamProducer(client: client, maxLength: nil), stream: stream, keyField: "id")
            try await appender.append((1...10).map { [(name: "id", value: "before-\($0)")] })
            let master = try await client.master(of: ClusterSlot(key: stream))
            let shard = try #require(client.topology.shards.first { $0.master == master })
            let replica = try #require(shard.replicas.first)

            try await cluster.failOver(to: replica)
            var attempts = 0
            while true {
                attempts += 1
                do {
                    try await appender.append((1...10).map { [(name: "id", value: "after-\($0)")] })
                    break
                } catch where attempts < 5 {
                    #expect((error as? RedisError)?.code != .notReplicated, "attempt \(attempts) blamed the replicas: \(error)")
                }
            }
            #expect(try await client.master(of: ClusterSlot(key: stream)) == replica, "the producer follows the new master")
            let length = try await client.withConnection(serving: stream) { redis throws(RedisError) in
                try await redis.send(RedisCommand("XLEN", stream)).integer
            }
            #expect(length == 20, "every entry once")
            _ = try await client.withConnection(serving: stream) { redis throws(RedisError) in try await redis.send(RedisCommand("DEL", stream)) }
            try await cluster.failOver(to: master)
        }
    }

    @Test func theSettingsAreReadForOneRedisAndForEveryNodeOfACluster() throws {
        let environment = Environment([
            "REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_WAIT_REPLICAS": "1", "REDIS_WAIT_TIMEOUT_MS": "250",
            "REDIS_CLUSTER_NODES": "127.0.0.1:7000,127.0.0.1:7001",
        ])
        let single = try environment.redisConfiguration()
        #expect(single.replicasToWaitFor == 1)
        #expect(single.replicaWaitTimeout == .milliseconds(250))
        let cluster = try #require(try environment.redisClusterConfiguration())
        let node = cluster.node(at: ClusterNodeAddress(host: "127.0.0.1", port: 7001))
        #expect(node.replicasToWaitFor == 1)
        #expect(node.replicaWaitTimeout == .milliseconds(250))
        #expect(try Environment([:]).redisConfiguration().replicasToWaitFor == 0, "off unless asked")
        #expect(throws: ConfigurationError.self) { try Environment(["REDIS_WAIT_REPLICAS": "-1"]).redisConfiguration() }
        // Above the 30 s command timeout a WAIT would read as a dead server.
        #expect(throws: ConfigurationError.self) { try Environment(["REDIS_WAIT_TIMEOUT_MS": "60000"]).redisConfiguration() }
    }
}

extension ReplicaAcknowledgementTests {
    /// A client of the test cluster whose writes wait for one replica (5 s).
    static func clientWaitingForAReplica() async throws -> RedisCluster {
        var configuration = try await TestCluster.shared().configuration
        configuration.node.replicasToWaitFor = 1
        configuration.node.replicaWaitTimeout = .seconds(5)
        return try await RedisCluster.connect(configuration: configuration)
    }
}
