import PayFlowRedis
import PayFlowTestSupport
import Testing

@Suite("Cluster slots and the slot map")
struct ClusterSlotTests {
    @Test func knownKeysHashToTheSlotsRedisDocuments() {
        // CRC16/XMODEM's check value: "123456789" -> 0x31C3.
        #expect(ClusterSlot(key: "123456789").number == 0x31C3)
        #expect(ClusterSlot(key: "foo").number == 12182)
        #expect(ClusterSlot(key: "").number == 0)
    }

    @Test func aHashTagStandsForTheWholeKey() {
        #expect(ClusterSlot(key: "{user1000}.following") == ClusterSlot(key: "{user1000}.followers"))
        #expect(ClusterSlot(key: "payflow:events:{7}") == ClusterSlot(key: "7"))
        // The first { and the first } after it; an empty tag hashes the whole key.
        #expect(ClusterSlot(key: "foo{bar}{zap}") == ClusterSlot(key: "bar"))
        #expect(ClusterSlot(key: "foo{{bar}}zap") == ClusterSlot(key: "{bar"))
        #expect(ClusterSlot(key: "foo{}{bar}") != ClusterSlot(key: "bar"))
        #expect(ClusterSlot(key: "foo{}{bar}").number == ClusterSlot(keyBytes: Array("foo{}{bar}".utf8)).number)
        #expect(ClusterSlot(key: "no tag}{") != ClusterSlot(key: ""))
    }

    @Test func everyKeyHashesAsTheClusterHashesIt() async throws {
        try await TestCluster.steadily {
            let cluster = try await TestCluster.shared()
            let node = try await cluster.connection(to: cluster.masters[0])
            defer { Task { await node.close() } }
            var generator = SystemRandomNumberGenerator()
            var keys: [[UInt8]] = []
            for index in 0..<2_000 {
                let length = Int.random(in: 0...24, using: &generator)
                var key = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if index % 4 == 0 { key += Array("{\(index % 37)}".utf8) }
                keys.append(key)
            }
            let replies = try await node.pipeline(keys.map { RedisCommand("CLUSTER", "KEYSLOT", $0) })
            for (key, reply) in zip(keys, replies) {
                #expect(reply.integer.map(Int.init) == ClusterSlot(keyBytes: key).number, "key \(key)")
            }
        }
    }

    @Test func theSlotMapNamesEveryMasterAndCoversEverySlot() async throws {
        try await TestCluster.steadily {
            let cluster = try await TestCluster.shared()
            let node = try await cluster.connection(to: cluster.masters[0])
            defer { Task { await node.close() } }
            let topology = try ClusterTopology(clusterShards: try await node.send(RedisCommand("CLUSTER", "SHARDS")))
            #expect(topology.coversEverySlot)
            #expect(topology.shards.count == cluster.masters.count)
            #expect(Set(topology.shards.flatMap { [$0.master] + $0.replicas }) == Set(cluster.masters + cluster.replicas))
            #expect(topology.shards.allSatisfy { $0.replicas.count == 1 })
        }
    }

    /// A lone master, never introduced to another node, does not know its
    /// own address: its map is read as being where it was asked.
    @Test func aNodeWithoutAnAddressIsWhereItWasAsked() throws {
        func text(_ value: String) -> RedisReply { .bulkString(Array(value.utf8)) }
        let reply = RedisReply.array([
            .array([
                text("slots"), .array([.integer(0), .integer(16383)]),
                text("nodes"), .array([
                    .array([text("id"), text("4ae1"), text("port"), .integer(29028), text("ip"), text(""),
                            text("endpoint"), text(""), text("role"), text("master"), text("health"), text("online")]),
                ]),
            ]),
        ])
        let asked = ClusterNodeAddress(host: "10.1.2.3", port: 29028)
        let topology = try ClusterTopology(clusterShards: reply, from: asked)
        #expect(topology.coversEverySlot)
        #expect(topology.master(of: ClusterSlot(key: "any")) == asked)
        #expect(try ClusterTopology(clusterShards: reply).shards.isEmpty, "no address, and none to assume")
    }

    /// What a node's error reply tells the client to do; any other error is
    /// the command's own and is returned as it is.
    @Test func redirectRepliesAreReadAndOtherErrorsLeftAlone() {
        let sender = ClusterNodeAddress(host: "10.0.0.9", port: 7000)
        func redirect(_ text: String) -> ClusterRedirect? { ClusterRedirect(.error(text), from: sender) }
        #expect(redirect("MOVED 3999 127.0.0.1:6381") == .moved(ClusterSlot(3999), ClusterNodeAddress(host: "127.0.0.1", port: 6381)))
        #expect(redirect("ASK 12182 [::1]:7002") == .ask(ClusterSlot(12182), ClusterNodeAddress(host: "::1", port: 7002)))
        #expect(redirect("MOVED 5 :7005") == .moved(ClusterSlot(5), ClusterNodeAddress(host: "10.0.0.9", port: 7005)), "an empty host is the sender's")
        #expect(redirect("TRYAGAIN Multiple keys request during rehashing of slot") == .tryAgain)
        #expect(redirect("CLUSTERDOWN The cluster is down") == .clusterDown)
        #expect(redirect("MOVED 16384 127.0.0.1:6381") == nil, "no such slot")
        #expect(redirect("WRONGTYPE Operation against a key holding the wrong kind of value") == nil)
        #expect(redirect("ERR MOVED is not a command") == nil)
        #expect(ClusterRedirect(.bulkString(Array("MOVED 1 a:1".utf8)), from: sender) == nil, "only error replies redirect")

        #expect(RedisError(.serverError, "MOVED 1 127.0.0.1:7000").isClusterRedirect)
        #expect(RedisError(.serverError, "READONLY You can't write against a read only replica.").isClusterRedirect)
        #expect(!RedisError(.serverError, "NOGROUP No such key").isClusterRedirect)
        #expect(!RedisError(.connectionFailed, "MOVED 1 127.0.0.1:7000").isClusterRedirect)
    }

    @Test func aClusterConfigurationRefusesWhatACLusterCannotServe() throws {
        #expect(throws: RedisError.self) { try RedisClusterConfiguration(url: "redis://127.0.0.1:7000/3", nodes: "127.0.0.1:7001") }
        #expect(throws: RedisError.self) { try RedisClusterConfiguration(url: "redis://127.0.0.1:7000", nodes: " , ") }
        #expect(throws: RedisError.self) { try RedisClusterConfiguration(url: "redis://127.0.0.1:7000", nodes: "127.0.0.1") }
        let configuration = try RedisClusterConfiguration(url: "redis://:secret@10.0.0.1:7000/0", nodes: "10.0.0.2:7001, [::1]:7002")
        #expect(configuration.seeds.map(\.description) == ["10.0.0.2:7001", "[::1]:7002", "10.0.0.1:7000"])
        #expect(configuration.node(at: ClusterNodeAddress(host: "10.0.0.2", port: 7001)).password == "secret")
    }
}
