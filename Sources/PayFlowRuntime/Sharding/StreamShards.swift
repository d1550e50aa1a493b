import PayFlowRedis

/// How the platform's streams are spread: `EVENT_SHARDS` shards, each event
/// on the shard of its account, so one account's events keep their order
/// (one stream) while different accounts' events spread over masters.
///
/// Every process computes the same layout from the count alone, so nothing
/// about it is stored: the generator, the five services, `payflow streams`
/// and the tests agree by construction.
public struct StreamShards: Sendable, Equatable {
    public let shards: [StreamShard]

    /// The single-node platform as it always was: one shard with the plain
    /// names (`payflow:events`).
    public static let unsharded = StreamShards(shards: [StreamShard(index: 0, tag: nil)])

    private init(shards: [StreamShard]) {
        self.shards = shards
    }

    /// `count` tagged shards. Shard k's tag is the first of `k`, `k.1`,
    /// `k.2`, ... whose slot falls in the k-th of `count` equal slot ranges:
    /// a cluster whose masters split the slots evenly (what
    /// `redis-cli --cluster create` and `rebalance` leave) then has the shards
    /// spread over its masters as evenly as they can be.
    public init(count: Int) {
        precondition((1...Self.maximumCount).contains(count), "EVENT_SHARDS is 1...\(Self.maximumCount), not \(count)")
        self.shards = (0..<count).map { index in
            var salt = 0
            while true {
                let tag = salt == 0 ? "\(index)" : "\(index).\(salt)"
                if ClusterSlot(key: tag).number * count / ClusterSlot.count == index {
                    return StreamShard(index: index, tag: tag)
                }
                salt += 1
            }
        }
    }

    /// The layout a process runs with: plain names on one node with one
    /// shard (today's platform, unchanged), tagged names otherwise. A cluster
    /// needs tags even with one shard: the group reading three streams in one
    /// call needs them in one slot.
    public init(count: Int, cluster: Bool) {
        if count == 1 && !cluster {
            self = .unsharded
        } else {
            self.init(count: count)
        }
    }

    /// More shards than this buys nothing on any cluster PayFlow targets, and
    /// every consumer keeps a read per shard.
    public static let maximumCount = 256

    public var count: Int { self.shards.count }

    /// The shard of an account, by its id's text (FNV-1a, stable across
    /// processes, releases and machines, unlike `Hasher`).
    public func shard(ofAccount account: some StringProtocol) -> StreamShard {
        guard self.shards.count > 1 else { return self.shards[0] }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in account.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return self.shards[Int(hash % UInt64(self.shards.count))]
    }

    /// The shard whose names `stream` is one of, if any: how an entry's
    /// stream tells which shard it came from.
    public func shard(ofStream stream: String) -> StreamShard? {
        guard self.shards.count > 1 || self.shards[0].tag != nil else { return self.shards[0] }
        guard stream.hasSuffix("}"), let open = stream.lastIndex(of: "{") else { return nil }
        let tag = stream[stream.index(after: open)..<stream.index(before: stream.endIndex)]
        return self.shards.first { $0.tag.map { $0[...] == tag } ?? false }
    }
}
