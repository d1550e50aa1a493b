/// Which master serves each hash slot, and which replicas follow it: the
/// cluster's slot map as `CLUSTER SHARDS` reports it.
///
/// A client keeps one and routes every command by it; a `MOVED` reply or a
/// node that stops answering means it is out of date and is read again.
public struct ClusterTopology: Sendable, Equatable {
    /// One master and its replicas, with the slots the master serves.
    public struct Shard: Sendable, Equatable {
        public var master: ClusterNodeAddress
        public var masterID: String
        public var replicas: [ClusterNodeAddress]
        public var slots: [ClosedRange<Int>]
    }

    public private(set) var shards: [Shard]
    /// `owners[slot]` indexes `shards`; -1 for a slot no master serves (a
    /// cluster being set up, or one that lost a master with no replica).
    private var owners: [Int16]

    public init(shards: [Shard]) {
        self.shards = shards
        self.owners = Array(repeating: -1, count: ClusterSlot.count)
        for (index, shard) in shards.enumerated() {
            for range in shard.slots {
                for slot in range { self.owners[slot] = Int16(index) }
            }
        }
    }

    /// The master that serves `slot`, if any does.
    public func master(of slot: ClusterSlot) -> ClusterNodeAddress? {
        let owner = Int(self.owners[slot.number])
        return owner < 0 ? nil : self.shards[owner].master
    }

    /// The masters, in the order of the slots they serve first.
    public var masters: [ClusterNodeAddress] {
        self.shards.sorted { ($0.slots.first?.lowerBound ?? .max) < ($1.slots.first?.lowerBound ?? .max) }.map(\.master)
    }

    /// Whether every one of the 16384 slots has a master.
    public var coversEverySlot: Bool { !self.owners.contains(-1) }

    /// Records what a `MOVED` reply said before the whole map is read again,
    /// so the commands between the two already go to the right node.
    public mutating func move(_ slot: ClusterSlot, to master: ClusterNodeAddress) {
        if let index = self.shards.firstIndex(where: { $0.master == master }) {
            self.owners[slot.number] = Int16(index)
        } else {
            self.shards.append(Shard(master: master, masterID: "", replicas: [], slots: []))
            self.owners[slot.number] = Int16(self.shards.count - 1)
        }
    }

    /// Reads the reply of `CLUSTER SHARDS` (Redis 7.0 and later): one map per
    /// shard with its `slots` (start, end pairs) and its `nodes`, each a map
    /// with `endpoint` (or `ip`), `port` (or `tls-port`) and `role`. Maps
    /// arrive as flat arrays of keys and values over RESP2. A node that does
    /// not know its own address yet (a lone master never introduced to
    /// another node reports an empty `ip`) is taken to be on the host of
    /// `sender`, the node that answered, as a `MOVED :port` is.
    public init(clusterShards reply: RedisReply, from sender: ClusterNodeAddress? = nil) throws(RedisError) {
        guard let shardReplies = reply.array else {
            throw RedisError(.unexpectedReply, "CLUSTER SHARDS: expected an array, got \(reply)")
        }
        var shards: [Shard] = []
        for shardReply in shardReplies {
            let shard = try Self.fields(of: shardReply, "a shard")
            guard let slotValues = shard["slots"]?.array, slotValues.count % 2 == 0,
                  let nodes = shard["nodes"]?.array
            else {
                throw RedisError(.unexpectedReply, "CLUSTER SHARDS: a shard without slots or nodes")
            }
            var slots: [ClosedRange<Int>] = []
            for pair in stride(from: 0, to: slotValues.count, by: 2) {
                guard let start = slotValues[pair].integer, let end = slotValues[pair + 1].integer,
                      0 <= start, start <= end, end < ClusterSlot.count
                else {
                    throw RedisError(.unexpectedReply, "CLUSTER SHARDS: a slot range that is not one")
                }
                slots.append(Int(start)...Int(end))
            }
            var master: (address: ClusterNodeAddress, id: String)?
            var replicas: [ClusterNodeAddress] = []
            for nodeReply in nodes {
                let node = try Self.fields(of: nodeReply, "a node")
                guard let address = Self.address(of: node, senderHost: sender?.host) else { continue }
                // A failed node stays listed until it is forgotten; it serves nothing.
                if node["health"]?.string == "fail" { continue }
                switch node["role"]?.string {
                case "master": master = (address, node["id"]?.string ?? "")
                case "replica": replicas.append(address)
                default: continue
                }
            }
            // A shard whose master failed and whose replica is not yet promoted serves no slots.
            guard let master else { continue }
            shards.append(Shard(master: master.address, masterID: master.id, replicas: replicas, slots: slots))
        }
        self.init(shards: shards)
    }

    private static func fields(of reply: RedisReply, _ what: String) throws(RedisError) -> [String: RedisReply] {
        guard let flat = reply.array, flat.count % 2 == 0 else {
            throw RedisError(.unexpectedReply, "CLUSTER SHARDS: \(what) is not a map")
        }
        var fields: [String: RedisReply] = [:]
        for index in stride(from: 0, to: flat.count, by: 2) {
            guard let key = flat[index].string else { continue }
            fields[key] = flat[index + 1]
        }
        return fields
    }

    private static func address(of node: [String: RedisReply], senderHost: String?) -> ClusterNodeAddress? {
        // "?" is an endpoint the node does not know yet; the ip is then the best there is.
        var host = node["endpoint"]?.string
        if host == nil || host == "?" || host == "" { host = node["ip"]?.string }
        if host == nil || host == "?" || host == "" { host = senderHost }
        guard let host, !host.isEmpty, host != "?",
              let port = (node["port"] ?? node["tls-port"])?.integer, port > 0
        else { return nil }
        return ClusterNodeAddress(host: host, port: Int(port))
    }
}
