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
    /// Redis, or a cluster's masters). `streams` and `deadLetterStreams` are
    /// unsharded names; with `shards`, each shard's (`payflow:events:{1}`)
    /// is read, one row per shard, shard after shard (``summedOverShards()``
    /// folds them). `deadLetterStreams` get the reason breakdown, from their
    /// latest `reasonSample` entries. A stream whose slot moved or whose
    /// master failed over meanwhile is read again from where it is now.
    public static func read(
        redis client: any RedisClient,
        shards: StreamShards = .unsharded,
        streams names: [String],
        deadLetterStreams: [String],
        reasonSample: Int = 1_000
    ) async throws(RedisError) -> StreamsSnapshot {
        var streams: [Stream] = []
        var deadLetters: [DeadLetters] = []
        for shard in shards.shards {
            for name in names.map(shard.name) {
                streams.append(try await Self.onServer(of: name, client) { redis throws(RedisError) in
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
            for name in deadLetterStreams.map(shard.name) {
                deadLetters.append(try await Self.onServer(of: name, client) { redis throws(RedisError) in
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
        }
        return StreamsSnapshot(takenAt: Date(), streams: streams, deadLetters: deadLetters)
    }

    /// `body` on the connection serving `key`, once more after an error that
    /// made the client read the slot map again (a redirect, a node gone): an
    /// inspector's refresh should not end on a failover it can follow.
    private static func onServer<Value: Sendable>(
        of key: String,
        _ client: any RedisClient,
        _ body: (RedisConnection) async throws(RedisError) -> Value
    ) async throws(RedisError) -> Value {
        var attempt = 1
        while true {
            do {
                return try await client.withConnection(serving: key, body)
            } catch where attempt < 3 && (error.isClusterRedirect || error.code == .connectionFailed) && !(client is RedisConnection) {
                attempt += 1
            }
        }
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
