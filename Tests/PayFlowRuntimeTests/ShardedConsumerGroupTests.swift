import Logging
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// Every group on every shard, against a real three-master cluster.
@Suite("Sharded consumer group on a Redis Cluster")
struct ShardedConsumerGroupTests {
    @Test func everyEntryOfEveryShardIsHandledAndSettledOnItsShard() async throws {
        try await TestCluster.steadily {
            let fixture = try await ShardFixture.make()
            defer { Task { await fixture.client.close() } }
            let handler = ScriptedHandler()
            let group = fixture.group(handler)
            var added: [String] = []
            for shard in fixture.shards.shards {
                added += try await fixture.add(150, to: shard, prefix: "s\(shard.index)")
                try await fixture.client.send(
                    RedisCommand("XADD", shard.name(fixture.base), "*", "malformed", "no id on shard \(shard.index)"),
                    key: shard.name(fixture.base)
                )
            }

            try await withServicesRunning([group]) {
                try await eventually("450 entries handled and 3 dead-lettered") {
                    handler.distinctHandled == 450
                        && group.consumers.reduce(0) { $0 + $1.counters.snapshot.deadLettered } == 3
                }
            }

            #expect(Set(handler.order) == Set(added))
            for shard in fixture.shards.shards {
                #expect(try await fixture.pending(on: shard) == 0)
                let deadLetters = try await fixture.deadLetters(on: shard)
                #expect(deadLetters.count == 1, "the malformed entry of \(shard), on its shard")
                #expect(deadLetters.first?.contains("no id on shard \(shard.index)") == true)
            }
        }
    }

    /// `CLUSTER FAILOVER` of a shard's master while entries arrive and are
    /// consumed: every entry the writer saw acknowledged by `WAIT` (on the
    /// replica too) is handled, and nothing stays pending on any shard.
    @Test func aFailoverMidRunLosesNoAcknowledgedEntry() async throws {
        try await TestCluster.exclusively {
            let cluster = try await TestCluster.shared()
            let fixture = try await ShardFixture.make()
            defer { Task { await fixture.client.close() } }
            let handler = ScriptedHandler()
            let group = fixture.group(handler)
            let victim = fixture.shards.shards[0]
            let shard = try #require(fixture.client.topology.shards.first { $0.master == fixture.client.topology.master(of: victim.slot) })
            let acknowledged = Shared<[String]>([])

            try await withServicesRunning([group]) {
                async let writing: Void = fixture.write(rounds: 40, pause: .milliseconds(25), toleratingFailures: true, into: acknowledged) { stream, _ in
                    try await fixture.client.send(RedisCommand("WAIT", 1, 2_000), key: stream.name(fixture.base)) == .integer(1)
                }
                try await eventually("a few rounds consumed") { handler.distinctHandled >= 150 }
                try await cluster.failOver(to: try #require(shard.replicas.first))
                try await writing
                try await fixture.expectHandled(acknowledged.value, by: handler)
            }
            #expect(acknowledged.value.count >= 1_000, "most rounds were acknowledged")
            try await cluster.failOver(to: shard.master)
        }
    }
}

extension ShardedConsumerGroupTests {
    /// A shard's slot moved to another master while entries arrive and are
    /// consumed, as `redis-cli --cluster reshard` moves each slot: the
    /// stream moves with its group and pending list (MIGRATE), the writer
    /// follows ASK then MOVED, the shard's consumer reconnects to the new
    /// master, and every entry written is handled with nothing left pending.
    @Test func aReshardingMidRunLosesNothing() async throws {
        try await TestCluster.exclusively {
            let cluster = try await TestCluster.shared()
            let fixture = try await ShardFixture.make()
            defer { Task { await fixture.client.close() } }
            let handler = ScriptedHandler()
            let group = fixture.group(handler)
            let moving = fixture.shards.shards[1]
            let source = try #require(fixture.client.topology.master(of: moving.slot))
            let target = try #require(fixture.client.topology.masters.first { $0 != source })
            let written = Shared<[String]>([])

            try await withServicesRunning([group]) {
                async let writing: Void = fixture.write(rounds: 40, pause: .milliseconds(25), toleratingFailures: false, into: written)
                try await eventually("a few rounds consumed") { handler.distinctHandled >= 150 }
                try await SlotMigration.move(moving.slot, from: source, to: target, in: cluster)
                try await writing
                try await fixture.expectHandled(written.value, by: handler)
            }
            #expect(written.value.count == 40 * 3 * 10)
            #expect(fixture.client.topology.master(of: moving.slot) == target)
            try await SlotMigration.move(moving.slot, from: target, to: source, in: cluster)
        }
    }
}

extension ShardedConsumerGroupTests {
    /// `kill -9` of a shard's master while entries arrive and are consumed:
    /// its replica is promoted (after the node timeout), the shard's consumer
    /// and the writer follow it, and every entry promised is handled, with
    /// nothing left pending. Promised: before the kill, what `WAIT` saw on
    /// the replica (what the master took but had not replicated may be gone
    /// with it); after the kill, every `XADD` that succeeded (no node dies
    /// after it, and the promoted master has no replica to `WAIT` for).
    @Test func aMasterKilledMidRunLosesNoAcknowledgedEntry() async throws {
        try await TestCluster.exclusively {
            let cluster = try await TestCluster.shared()
            let fixture = try await ShardFixture.make()
            defer { Task { await fixture.client.close() } }
            let handler = ScriptedHandler()
            let group = fixture.group(handler)
            let victim = fixture.shards.shards[2]
            let shard = try #require(fixture.client.topology.shards.first { $0.master == fixture.client.topology.master(of: victim.slot) })
            let replica = try #require(shard.replicas.first)
            let acknowledged = Shared<[String]>([])
            let killedAt = Shared<ContinuousClock.Instant?>(nil)

            try await withServicesRunning([group]) {
                async let writing: Void = fixture.write(rounds: 80, pause: .milliseconds(50), toleratingFailures: true, into: acknowledged) { stream, sentAt in
                    if let killed = killedAt.value, sentAt > killed { return true }
                    // Sent before the kill: safe only once on the replica.
                    return try await fixture.client.send(RedisCommand("WAIT", 1, 1_000), key: stream.name(fixture.base)) == .integer(1)
                }
                try await eventually("a few rounds consumed") { handler.distinctHandled >= 150 }
                try await cluster.kill(shard.master)
                killedAt.value = .now
                try await writing
                #expect(fixture.client.topology.master(of: victim.slot) == replica, "the replica was promoted and followed")
                let promised = acknowledged.value
                try await fixture.expectHandled(promised, by: handler)
                let onVictim = promised.filter { $0.hasSuffix("-s\(victim.index)-0") }.count
                #expect(onVictim >= 30, "the victim's shard was written to after the promotion too (\(onVictim) rounds)")
            }
            try await cluster.restart(shard.master)
            try await cluster.failOver(to: shard.master)
        }
    }
}

extension ShardedConsumerGroupTests {
    /// Entries dead-lettered on three shards go back, once the cause is
    /// fixed, each to the stream of its own shard, and are handled there.
    @Test func deadLettersOfEveryShardAreReplayedToTheirOwnShard() async throws {
        try await TestCluster.steadily {
            let fixture = try await ShardFixture.make()
            defer { Task { await fixture.client.close() } }
            let fixed = Shared(false)
            let handler = ScriptedHandler(behaviour: { id, _ in
                id.hasPrefix("bad") && !fixed.value ? .deadLetter(reason: "not yet") : .done
            })
            let group = fixture.group(handler)
            var bad: [String] = []
            for shard in fixture.shards.shards {
                bad += try await fixture.add(3, to: shard, prefix: "bad-s\(shard.index)")
                _ = try await fixture.add(10, to: shard, prefix: "good-s\(shard.index)")
            }
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let deadLetters = ShardedDeadLetters(
                shards: fixture.shards, redis: fixture.client.configuration.node, cluster: fixture.client, logger: logger
            )
            let expected = bad

            try await withServicesRunning([group]) {
                try await eventually("three dead letters on each shard") {
                    try await deadLetters.lengths(group: fixture.groupName) == [3, 3, 3]
                }
                fixed.value = true
                let replayed = try await deadLetters.replayAll(group: fixture.groupName)
                #expect(replayed.count == 9)
                for entry in replayed {
                    #expect(fixture.shards.shard(ofStream: entry.stream) != nil, "\(entry.stream) is a shard's stream")
                }
                #expect(Dictionary(grouping: replayed, by: \.stream).values.map(\.count).sorted() == [3, 3, 3])
                try await eventually("every replayed entry handled again") {
                    expected.allSatisfy { handler.attempts($0) == 2 }
                }
            }
            #expect(try await deadLetters.lengths(group: fixture.groupName) == [0, 0, 0])
            for shard in fixture.shards.shards {
                #expect(try await fixture.pending(on: shard) == 0)
            }
        }
    }
}

extension ShardedConsumerGroupTests {
    /// `payflow streams` on a cluster: each shard's stream, group and
    /// dead-letter stream, read from the master that serves the shard.
    @Test func theSnapshotListsEveryShardFromItsMaster() async throws {
        try await TestCluster.steadily {
            let fixture = try await ShardFixture.make()
            defer { Task { await fixture.client.close() } }
            for (shard, count) in zip(fixture.shards.shards, [5, 6, 7]) {
                _ = try await fixture.add(count, to: shard, prefix: "snap-s\(shard.index)")
                try await fixture.client.send(RedisCommand("XGROUP", "CREATE", shard.name(fixture.base), fixture.groupName, "0"), key: shard.events)
            }
            let first = fixture.shards.shards[0]
            try await fixture.client.send(
                RedisCommand("XREADGROUP", "GROUP", fixture.groupName, "reader", "COUNT", 2, "STREAMS", first.name(fixture.base), ">"),
                key: first.events
            )

            let snapshot = try await StreamsSnapshot.read(
                redis: fixture.client, shards: fixture.shards, streams: [fixture.base],
                deadLetterStreams: ["payflow:dlq:\(fixture.groupName)"]
            )
            #expect(snapshot.streams.map(\.name) == fixture.shards.shards.map { $0.name(fixture.base) })
            #expect(snapshot.streams.map { $0.info?.length ?? -1 } == [5, 6, 7])
            #expect(snapshot.streams.map { $0.groups.map(\.info.pending) } == [[2], [0], [0]])
            #expect(snapshot.deadLetters.map(\.stream) == fixture.shards.shards.map { $0.deadLetterStream(forGroup: fixture.groupName) })
            #expect(StreamsTable(current: snapshot).rendered.contains(first.name(fixture.base)))
        }
    }
}

/// One test's stream (on every shard) and group on the test cluster.
struct ShardFixture {
    let client: RedisCluster
    let shards: StreamShards
    /// The stream's unsharded name; shard k's is `base:{tag}`.
    let base: String
    let groupName: String

    static func make(shards: Int = 3) async throws -> ShardFixture {
        let cluster = try await TestCluster.shared()
        let prefix = uniqueName("test:sharded")
        return ShardFixture(
            client: try await RedisCluster.connect(configuration: cluster.configuration),
            shards: StreamShards(count: shards),
            base: "\(prefix):stream",
            groupName: "\(prefix):group"
        )
    }

    func group<Handler: ConsumerGroupHandler>(_ handler: Handler) -> ShardedConsumerGroup<Handler> {
        var configuration = ConsumerGroupConfiguration(group: self.groupName, streams: [self.base], consumerName: "consumer-1")
        configuration.batchSize = 20
        configuration.block = .milliseconds(100)
        configuration.claimMinIdle = .milliseconds(500)
        configuration.claimInterval = .milliseconds(200)
        configuration.maxDeliveries = 3
        configuration.maxRetryBackoff = .milliseconds(200)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return ShardedConsumerGroup(
            configuration: configuration,
            shards: self.shards,
            redis: self.client.configuration.node,
            cluster: self.client,
            handler: handler,
            logger: logger
        )
    }

    func add(_ count: Int, to shard: StreamShard, prefix: String) async throws -> [String] {
        let ids = (1...count).map { "\(prefix)-\($0)" }
        try await self.add(ids, to: shard)
        return ids
    }

    func add(_ ids: [String], to shard: StreamShard) async throws {
        let stream = shard.name(self.base)
        let replies = try await self.client.pipeline(
            ids.map { RedisCommand("XADD", stream, "*", "id", $0) },
            slot: shard.slot
        )
        for reply in replies { try reply.orThrow() }
    }

    /// Writes `rounds` rounds of ten entries to every shard, `pause` apart,
    /// while the test disturbs the cluster. A shard's entries are promised
    /// (added to `promised`) when their `XADD`s succeeded and `promise`,
    /// told when they were sent, says they are safe (a `WAIT` for the
    /// replica, say). With
    /// `toleratingFailures`, a write that fails (a master down) is not
    /// promised and the rounds go on; without, it fails the test.
    func write(
        rounds: Int,
        pause: Duration,
        toleratingFailures: Bool,
        into promised: Shared<[String]>,
        promise: @escaping @Sendable (StreamShard, _ sentAt: ContinuousClock.Instant) async throws -> Bool = { _, _ in true }
    ) async throws {
        for round in 0..<rounds {
            for shard in self.shards.shards {
                let ids = (0..<10).map { "r\(round)-s\(shard.index)-\($0)" }
                let sentAt = ContinuousClock.now
                do {
                    try await self.add(ids, to: shard)
                    if try await promise(shard, sentAt) { promised.withLock { $0 += ids } }
                } catch where toleratingFailures {
                    continue
                }
            }
            try await Task.sleep(for: pause)
        }
    }

    /// Waits until `handler` has handled every id of `promised`, then until
    /// nothing is pending on any shard.
    func expectHandled(_ promised: [String], by handler: ScriptedHandler) async throws {
        try await eventually("every promised entry handled", timeout: .seconds(60)) {
            Set(handler.order).isSuperset(of: promised)
        }
        for shard in self.shards.shards {
            try await eventually("nothing pending on \(shard)") { try await self.pending(on: shard) == 0 }
        }
    }

    func pending(on shard: StreamShard) async throws -> Int {
        let reply = try await self.client.send(RedisCommand("XPENDING", shard.name(self.base), self.groupName), key: shard.name(self.base))
        return Int(reply.array?.first?.integer ?? -1)
    }

    /// The dead letters of the group on `shard`, each as its fields' text.
    func deadLetters(on shard: StreamShard) async throws -> [String] {
        let stream = shard.deadLetterStream(forGroup: self.groupName)
        let reply = try await self.client.send(RedisCommand("XRANGE", stream, "-", "+"), key: stream)
        return (reply.array ?? []).map { entry in
            (entry.array?.last?.array ?? []).compactMap(\.string).joined(separator: " ")
        }
    }
}
