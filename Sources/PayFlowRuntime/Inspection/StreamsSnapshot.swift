import Foundation
import PayFlowRedis

/// One look at PayFlow's streams, groups and dead-letter streams, as
/// `payflow streams` prints it and `make run` refreshes it every second.
///
/// Everything comes from Redis alone (`XINFO`, `XPENDING`, `XREVRANGE`), so
/// the inspector works against any deployment, with no service running.
public struct StreamsSnapshot: Sendable {
    public struct Stream: Sendable {
        public var name: String
        /// nil when the key does not exist (nothing was ever added).
        public var info: StreamInfo?
        /// `entries-added` of `XINFO STREAM` is not kept; the last generated
        /// id's millisecond part tells when the last entry came.
        public var groups: [Group]
    }

    public struct Group: Sendable {
        public var info: GroupInfo
        /// The oldest pending entry's id, whose millisecond part is when it was added.
        public var oldestPendingID: StreamEntryID?
    }

    public struct DeadLetters: Sendable {
        public var stream: String
        public var length: Int
        /// The most common reasons among the latest entries, most common first.
        public var topReasons: [(reason: String, count: Int)]
    }

    public var takenAt: Date
    public var streams: [Stream]
    public var deadLetters: [DeadLetters]

    /// Reads the snapshot, each stream from the server that serves it (one
    /// Redis, or a cluster's masters). `deadLetterStreams` get the reason
    /// breakdown, from their latest `reasonSample` entries.
    public static func read(
        redis client: any RedisClient,
        streams names: [String],
        deadLetterStreams: [String],
        reasonSample: Int = 1_000
    ) async throws(RedisError) -> StreamsSnapshot {
        var streams: [Stream] = []
        for name in names {
            streams.append(try await client.withConnection(serving: name) { redis throws(RedisError) in
                let info = try await redis.streamInfo(name)
                var groups: [Group] = []
                if info != nil {
                    for group in try await redis.groups(of: name) {
                        let pending = group.pending > 0 ? try await redis.pendingSummary(stream: name, group: group.name) : nil
                        groups.append(Group(info: group, oldestPendingID: pending?.oldestID))
                    }
                }
                return Stream(name: name, info: info, groups: groups)
            })
        }
        var deadLetters: [DeadLetters] = []
        for name in deadLetterStreams {
            deadLetters.append(try await client.withConnection(serving: name) { redis throws(RedisError) in
                let length = Int(try await redis.send(RedisCommand("XLEN", name)).integer ?? 0)
                var counts: [String: Int] = [:]
                if length > 0 {
                    for entry in try await redis.range(stream: name, count: reasonSample, reverse: true) {
                        counts[entry[field: "reason"] ?? "(no reason)", default: 0] += 1
                    }
                }
                let top = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map { (reason: $0.key, count: $0.value) }
                return DeadLetters(stream: name, length: length, topReasons: top)
            })
        }
        return StreamsSnapshot(takenAt: Date(), streams: streams, deadLetters: deadLetters)
    }

    /// Reads the snapshot of a Redis Cluster: every shard's streams (and
    /// dead-letter streams) from the master that serves the shard, one row
    /// per shard, under the shard's names (`payflow:events:{1}`), in shard
    /// order. The unsharded names go in `names` and `deadLetterStreams`. A
    /// shard that moved or failed over meanwhile is read again from its new
    /// master.
    public static func read(
        cluster: RedisCluster,
        shards: StreamShards,
        streams names: [String],
        deadLetterStreams: [String],
        reasonSample: Int = 1_000
    ) async throws -> StreamsSnapshot {
        var streams: [Stream] = []
        var deadLetters: [DeadLetters] = []
        for shard in shards.shards {
            let part = try await cluster.onMaster(of: shard.slot) { master in
                try await Self.read(
                    redis: cluster.connection(to: master), streams: names.map(shard.name),
                    deadLetterStreams: deadLetterStreams.map(shard.name), reasonSample: reasonSample
                )
            }
            streams += part.streams
            deadLetters += part.deadLetters
        }
        return StreamsSnapshot(takenAt: Date(), streams: streams, deadLetters: deadLetters)
    }

    /// The total number of entries each group has read, by "stream/group":
    /// two snapshots give processed-per-second rates.
    public var entriesRead: [String: Int] {
        var read: [String: Int] = [:]
        for stream in self.streams {
            for group in stream.groups {
                read["\(stream.name)/\(group.info.name)"] = (group.info.entriesRead ?? 0) - group.info.pending
            }
        }
        return read
    }
}
