import PayFlowDomain
import PayFlowRedis

/// One shard of the platform's streams: its events, alerts, mismatches and
/// dead letters, all under one hash tag, so all of them live in one cluster
/// slot.
///
/// Why one slot: Redis Cluster runs a command with several keys only when
/// they share a slot. A group that reads events, alerts and mismatches in one
/// `XREADGROUP`, and a dead letter `XADD`ed with its `XACK` in one
/// `MULTI`/`EXEC`, need their keys together; the shard, not the stream, is
/// what moves between masters.
public struct StreamShard: Sendable, Hashable, CustomStringConvertible {
    /// 0 ..< the number of shards.
    public let index: Int
    /// The hash tag, without braces; nil for the unsharded layout, whose
    /// names are the single-node platform's (`payflow:events`).
    public let tag: String?

    public init(index: Int, tag: String?) {
        self.index = index
        self.tag = tag
    }

    /// `base` on this shard: `payflow:events` becomes `payflow:events:{tag}`.
    public func name(_ base: String) -> String {
        guard let tag else { return base }
        return "\(base):{\(tag)}"
    }

    public var events: String { self.name(StreamNames.events) }
    public var alerts: String { self.name(StreamNames.alerts) }
    public var mismatches: String { self.name(StreamNames.mismatches) }

    /// The streams `group` reads on this shard.
    public func streams(of group: ConsumerGroupName) -> [String] {
        group.streams.map(self.name)
    }

    /// `payflow:dlq:<group>` on this shard: dead letters stay on the shard of
    /// the entry, so the `XADD` and the `XACK` are one transaction.
    public func deadLetterStream(forGroup group: String) -> String {
        self.name(ConsumerGroupConfiguration.deadLetterStream(forGroup: group))
    }

    /// The slot every key of this shard hashes to.
    public var slot: ClusterSlot { ClusterSlot(key: self.events) }

    public var description: String { self.tag.map { "shard \(self.index) {\($0)}" } ?? "unsharded" }
}
