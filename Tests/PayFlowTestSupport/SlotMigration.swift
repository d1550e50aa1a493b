import PayFlowRedis
import Testing

/// One slot moved by hand between two masters, as `redis-cli --cluster
/// reshard` moves each slot: `IMPORTING` on the target, `MIGRATING` on the
/// source, `MIGRATE` of the keys, then `SETSLOT ... NODE` everywhere.
public struct SlotMigration: Sendable {
    public let slot: ClusterSlot
    let source: RedisConnection
    let target: RedisConnection
    let targetAddress: ClusterNodeAddress
    let targetID: String
    let cluster: TestCluster

    public static func begin(
        _ slot: ClusterSlot,
        from sourceAddress: ClusterNodeAddress,
        to targetAddress: ClusterNodeAddress,
        in cluster: TestCluster
    ) async throws -> SlotMigration {
        let source = try await cluster.connection(to: sourceAddress)
        let target = try await cluster.connection(to: targetAddress)
        let sourceID = try #require(try await source.send(RedisCommand("CLUSTER", "MYID")).string)
        let targetID = try #require(try await target.send(RedisCommand("CLUSTER", "MYID")).string)
        try await target.send(RedisCommand("CLUSTER", "SETSLOT", slot.number, "IMPORTING", sourceID))
        try await source.send(RedisCommand("CLUSTER", "SETSLOT", slot.number, "MIGRATING", targetID))
        return SlotMigration(
            slot: slot, source: source, target: target, targetAddress: targetAddress, targetID: targetID, cluster: cluster
        )
    }

    /// Moves `slot` and every key in it from one master to another, all
    /// steps at once.
    public static func move(
        _ slot: ClusterSlot,
        from sourceAddress: ClusterNodeAddress,
        to targetAddress: ClusterNodeAddress,
        in cluster: TestCluster
    ) async throws {
        let migration = try await Self.begin(slot, from: sourceAddress, to: targetAddress, in: cluster)
        try await migration.moveKeys()
        try await migration.finish()
    }

    /// Moves `keys`, or every key left in the slot.
    public func moveKeys(_ given: [String]? = nil) async throws {
        let keys: [String]
        if let given {
            keys = given
        } else {
            let reply = try await self.source.send(RedisCommand("CLUSTER", "GETKEYSINSLOT", self.slot.number, 1_000))
            keys = reply.array?.compactMap(\.string) ?? []
        }
        guard !keys.isEmpty else { return }
        let password = try #require(try RedisConfiguration(url: self.cluster.url).password)
        var migrate = RedisCommand(
            "MIGRATE", self.targetAddress.host, self.targetAddress.port, "", 0, 5_000, "AUTH", password, "KEYS"
        )
        migrate.append(contentsOf: keys)
        try await self.source.send(migrate)
    }

    /// Gives the slot to the target in every master's map, then closes the connections.
    public func finish() async throws {
        let assign = RedisCommand("CLUSTER", "SETSLOT", self.slot.number, "NODE", self.targetID)
        try await self.target.send(assign)
        try await self.source.send(assign)
        for address in self.cluster.masters + self.cluster.replicas {
            let node = try await self.cluster.connection(to: address)
            // Replicas refuse SETSLOT; the masters' epochs carry it to them.
            _ = try? await node.send(assign)
            await node.close()
        }
        await self.source.close()
        await self.target.close()
    }
}
