import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// Issue 17's fault cases against the whole platform on the test cluster:
/// the generator and the five services as processes, `EVENT_SHARDS=3` (one
/// shard per master), one fault mid-run, then the invariants every fault case
/// ends with and the alerts of the single-stream fault-free run. Each case
/// puts the cluster back as it found it (the same master for every slot),
/// also when it fails, since the other cluster tests share it.
extension FaultTests {
    /// `CLUSTER FAILOVER` of the master of shard 0's slot while traffic flows:
    /// the old master pauses its clients until the replica has every write,
    /// so nothing is lost; every process must notice the switch (`MOVED`, or
    /// a replica refusing writes) and carry on against the new master.
    @Test func aMasterFailedOverMidRunOnTheCluster() async throws {
        let reference = try await Self.reference()
        try await Platform.withCluster { platform in
            platform.extraEnvironment["EVENT_SHARDS"] = "3"
            let cluster = try await TestCluster.shared()
            let (master, replica) = try platform.masterAndReplica(of: platform.shards.shards[0])
            try platform.startServices(replicas: 1)
            try await platform.waitUntilEveryReplicaReads(replicas: 1)
            try await Self.startTraffic(on: platform)
            try await Self.restoring(cluster, failingBackTo: master) {
                try await cluster.failOver(to: replica)
                // An outbox pipeline cut by the switch (its first XADDs ran,
                // the rest were redirected) is published again.
                try await Self.finishTrafficAndVerify(on: platform, InvariantCheck.Expectations(reference: reference, alertDoubles: Self.batchSize))
                #expect(try platform.masterAndReplica(of: platform.shards.shards[0]).master == replica, "the platform's own view followed the failover")
            }
        }
    }

    /// Shard 1's slot moved to another master mid-run, key by key, the way
    /// `redis-cli --cluster reshard` moves every slot it is given: its
    /// streams, their groups and pending lists travel with `MIGRATE`, writers
    /// and readers meet `ASK` and then `MOVED`, and nothing is lost or
    /// doubled.
    @Test func aShardsSlotReshardedMidRunOnTheCluster() async throws {
        let reference = try await Self.reference()
        try await Platform.withCluster { platform in
            platform.extraEnvironment["EVENT_SHARDS"] = "3"
            let cluster = try await TestCluster.shared()
            let moving = platform.shards.shards[1]
            let (source, _) = try platform.masterAndReplica(of: moving)
            let target = try #require(cluster.masters.first { $0 != source })
            try platform.startServices(replicas: 1)
            try await platform.waitUntilEveryReplicaReads(replicas: 1)
            try await Self.startTraffic(on: platform)
            var moved = false
            do {
                try await SlotMigration.move(moving.slot, from: source, to: target, in: cluster)
                moved = true
                // An outbox pipeline cut by the move (ASK for keys already
                // moved) is published again.
                try await Self.finishTrafficAndVerify(on: platform, InvariantCheck.Expectations(reference: reference, alertDoubles: Self.batchSize))
                let (now, _) = try platform.masterAndReplica(of: moving)
                #expect(now == target, "shard 1 is served by \(now), not by the master it moved to")
            } catch {
                if moved { try? await SlotMigration.move(moving.slot, from: target, to: source, in: cluster) }
                throw error
            }
            try await SlotMigration.move(moving.slot, from: target, to: source, in: cluster)
        }
    }

    /// `kill -9` of the master of shard 2's slot while traffic flows, every
    /// process with `REDIS_WAIT_REPLICAS=1`: a write counts as written once
    /// the master's replica confirmed it. The replica is promoted (after the
    /// node timeout) and every process follows it; until the killed node is
    /// back as its replica, writes to that shard wait and are retried. What
    /// was confirmed survives the master, so the invariants hold as after
    /// any fault: every event the generator emitted audited once, alerts as
    /// in the fault-free run, nothing pending.
    @Test func aMasterKilledMidRunOnTheClusterLosesNothingConfirmed() async throws {
        let reference = try await Self.reference()
        try await Platform.withCluster { platform in
            platform.extraEnvironment["EVENT_SHARDS"] = "3"
            platform.extraEnvironment["REDIS_WAIT_REPLICAS"] = "1"
            let cluster = try await TestCluster.shared()
            let victim = platform.shards.shards[2]
            let (master, replica) = try platform.masterAndReplica(of: victim)
            try platform.startServices(replicas: 1)
            try await platform.waitUntilEveryReplicaReads(replicas: 1)
            try await Self.startTraffic(on: platform)
            try await Self.restoring(cluster, failingBackTo: master) {
                try await cluster.kill(master)
                try await eventually("\(replica) promoted", timeout: .seconds(60), every: .milliseconds(200)) {
                    let node = try await cluster.connection(to: replica)
                    defer { Task { await node.close() } }
                    return try await node.send(RedisCommand("ROLE")).array?.first?.string == "master"
                }
                // Back as the new master's replica: writes to the shard can be confirmed again.
                try await cluster.restart(master)
                // A publish whose connection broke with the master is published again.
                try await Self.finishTrafficAndVerify(on: platform, InvariantCheck.Expectations(reference: reference, alertDoubles: Self.batchSize))
                #expect(try platform.masterAndReplica(of: victim).master == replica, "the platform's own view followed the promotion")
            }
        }
    }

    // MARK: - Helpers

    /// Runs `body`, then makes `master` the master of its slots again (a
    /// coordinated failover, after starting it again if it was killed), also
    /// when `body` failed.
    static func restoring(_ cluster: TestCluster, failingBackTo master: ClusterNodeAddress, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            try? await Self.failBack(cluster, to: master)
            throw error
        }
        try await Self.failBack(cluster, to: master)
    }

    /// A killed `master` is started again first (it comes back as a replica).
    private static func failBack(_ cluster: TestCluster, to master: ClusterNodeAddress) async throws {
        let node: RedisConnection
        do {
            node = try await cluster.connection(to: master)
        } catch {
            try await cluster.restart(master)
            node = try await cluster.connection(to: master)
        }
        let role = try await node.send(RedisCommand("ROLE")).array?.first?.string
        await node.close()
        if role != "master" { try await cluster.failOver(to: master) }
    }
}

extension Platform {
    /// The master now serving `shard`'s slot and its replica, as the
    /// platform's own cluster client sees them.
    func masterAndReplica(of shard: StreamShard) throws -> (master: ClusterNodeAddress, replica: ClusterNodeAddress) {
        let cluster = try #require(self.client as? RedisCluster, "the platform runs on one Redis, not a cluster")
        let topology = cluster.topology
        let master = try #require(topology.master(of: shard.slot))
        let replica = try #require(topology.shards.first { $0.master == master }?.replicas.first, "\(master) has no replica")
        return (master, replica)
    }
}
