import PayFlowRedis
import PayFlowTestSupport
import Testing

/// The cluster client against a real three-master cluster. Serialized: the
/// tests move slots and fail masters over, and each puts the cluster back.
@Suite("Redis Cluster routing against a real cluster", .serialized)
struct ClusterRoutingTests {
    @Test func commandsGoToTheMasterOfTheirKeysSlot() async throws {
        // Exclusive: a failover elsewhere would add a fourth master to the keys' owners.
        try await TestCluster.exclusively {
            let cluster = try await TestCluster.shared()
            let client = try await RedisCluster.connect(configuration: cluster.configuration)
            defer { Task { await client.close() } }
            var owners: Set<ClusterNodeAddress> = []
            let prefix = uniqueName("test:cluster:route")
            for index in 0..<60 {
                let key = "\(prefix):\(index)"
                try await client.send(RedisCommand("SET", key, "value \(index)"), key: key)
                let owner = try #require(client.topology.master(of: ClusterSlot(key: key)))
                owners.insert(owner)
                // The owner answers for the key by itself: no redirect was needed to place it there.
                let node = try await cluster.connection(to: owner)
                #expect(try await node.send(RedisCommand("GET", key)).string == "value \(index)")
                await node.close()
            }
            #expect(owners.count == cluster.masters.count, "60 keys spread over every master")
        }
    }

    @Test func aPipelineOfOneSlotIsOneRoundTripWithEveryReply() async throws {
        try await TestCluster.steadily {
            let cluster = try await TestCluster.shared()
            let client = try await RedisCluster.connect(configuration: cluster.configuration)
            defer { Task { await client.close() } }
            let stream = "\(uniqueName("test:cluster:stream")):{7}"
            let replies = try await client.pipeline(
                [
                    RedisCommand("XADD", stream, "*", "n", "1"),
                    RedisCommand("XADD", stream, "*", "n", "2"),
                    RedisCommand("LPUSH", stream, "wrong type"),
                    RedisCommand("XLEN", stream),
                ],
                slot: ClusterSlot(key: stream)
            )
            #expect(replies.count == 4)
            guard case .error(let message) = replies[2] else {
                Issue.record("expected WRONGTYPE, got \(replies[2])")
                return
            }
            #expect(message.hasPrefix("WRONGTYPE"))
            #expect(replies[3] == .integer(2))
        }
    }

    @Test func aMovedSlotIsFollowedAndTheMapUpdated() async throws {
        try await TestCluster.exclusively {
            let cluster = try await TestCluster.shared()
            let client = try await RedisCluster.connect(configuration: cluster.configuration)
            defer { Task { await client.close() } }
            let key = uniqueName("test:cluster:moved")
            let slot = ClusterSlot(key: key)
            try await client.send(RedisCommand("SET", key, "before the move"), key: key)
            let source = try #require(client.topology.master(of: slot))
            let target = try #require(client.topology.masters.first { $0 != source })

            try await SlotMigration.move(slot, from: source, to: target, in: cluster)

            // The client's map still says `source`, which now answers MOVED.
            #expect(client.topology.master(of: slot) == source)
            #expect(try await client.send(RedisCommand("GET", key), key: key).string == "before the move")
            #expect(client.topology.master(of: slot) == target)
            try await client.send(RedisCommand("SET", key, "after the move"), key: key)

            try await SlotMigration.move(slot, from: target, to: source, in: cluster)
            #expect(try await client.send(RedisCommand("GET", key), key: key).string == "after the move")
            #expect(client.topology.master(of: slot) == source)
        }
    }

    @Test func aKeyThatLeftAMigratingSlotIsAskedForAtTheTarget() async throws {
        try await TestCluster.exclusively {
            let cluster = try await TestCluster.shared()
            let client = try await RedisCluster.connect(configuration: cluster.configuration)
            defer { Task { await client.close() } }
            let tag = uniqueName("ask")
            let moved = "test:cluster:{\(tag)}:moved"
            let stayed = "test:cluster:{\(tag)}:stayed"
            let slot = ClusterSlot(key: moved)
            try await client.send(RedisCommand("SET", moved, "at the target"), key: moved)
            try await client.send(RedisCommand("SET", stayed, "at the source"), key: stayed)
            let source = try #require(client.topology.master(of: slot))
            let target = try #require(client.topology.masters.first { $0 != source })

            let migration = try await SlotMigration.begin(slot, from: source, to: target, in: cluster)
            try await migration.moveKeys([moved])
            // Mid-migration: one key on each side, the map unchanged, both readable.
            let replies = try await client.pipeline(
                [RedisCommand("GET", moved), RedisCommand("GET", stayed)],
                slot: slot
            )
            #expect(replies == [.bulkString(Array("at the target".utf8)), .bulkString(Array("at the source".utf8))])
            #expect(client.topology.master(of: slot) == source, "an ASK does not change the map")
            // A new key of a migrating slot is created at the target.
            let created = "test:cluster:{\(tag)}:created"
            try await client.send(RedisCommand("SET", created, "new"), key: created)

            try await migration.moveKeys()
            try await migration.finish()
            #expect(try await client.send(RedisCommand("GET", created), key: created).string == "new")
            #expect(try await client.send(RedisCommand("GET", stayed), key: stayed).string == "at the source")

            try await SlotMigration.move(slot, from: target, to: source, in: cluster)
        }
    }

    @Test func aFailoverIsFollowedAndNothingAcknowledgedIsLost() async throws {
        try await TestCluster.exclusively {
            let cluster = try await TestCluster.shared()
            let client = try await RedisCluster.connect(configuration: cluster.configuration)
            defer { Task { await client.close() } }
            let stream = "\(uniqueName("test:cluster:failover")):{3}"
            let slot = ClusterSlot(key: stream)
            let shard = try #require(client.topology.shards.first { $0.master == client.topology.master(of: slot) })
            let (oldMaster, replica) = (shard.master, try #require(shard.replicas.first))

            for index in 0..<100 {
                try await client.send(RedisCommand("XADD", stream, "*", "n", index), key: stream)
            }
            // WAIT: the replica has every entry acknowledged so far.
            #expect(try await client.send(RedisCommand("WAIT", 1, 5_000), key: stream) == .integer(1))
            try await cluster.failOver(to: replica)

            // The old master, a replica now, answers MOVED; the client follows.
            for index in 100..<200 {
                try await client.send(RedisCommand("XADD", stream, "*", "n", index), key: stream)
            }
            #expect(client.topology.master(of: slot) == replica)
            #expect(try await client.send(RedisCommand("XLEN", stream), key: stream) == .integer(200))

            try await cluster.failOver(to: oldMaster)
            #expect(try await client.send(RedisCommand("XLEN", stream), key: stream) == .integer(200))
            #expect(client.topology.master(of: slot) == oldMaster)
        }
    }
}
