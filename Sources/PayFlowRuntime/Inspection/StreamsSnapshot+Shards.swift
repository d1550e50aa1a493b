import PayFlowDomain
import PayFlowRedis

extension StreamsSnapshot {
    /// The snapshot as one stream per unsharded name (`payflow:events`) and
    /// one dead-letter stream per group: what a reader of the platform asks
    /// ("how far behind is analytics?"), whatever `EVENT_SHARDS` is.
    ///
    /// Lengths, pending and lag add up over the shards; a group's consumers
    /// are the most any shard has (each replica has one consumer on every
    /// shard); the oldest pending entry is the oldest of any shard. A lag
    /// Redis cannot tell on one shard makes the sum unknown too. With one
    /// shard it is the snapshot itself.
    public func summedOverShards() -> StreamsSnapshot {
        var streams: [Stream] = []
        for stream in self.streams {
            let name = StreamNames.unsharded(stream.name)
            guard let index = streams.firstIndex(where: { $0.name == name }) else {
                streams.append(Stream(name: name, info: stream.info, groups: stream.groups))
                continue
            }
            streams[index].info = Self.sum(streams[index].info, stream.info)
            for group in stream.groups {
                if let known = streams[index].groups.firstIndex(where: { $0.info.name == group.info.name }) {
                    streams[index].groups[known] = Self.sum(streams[index].groups[known], group)
                } else {
                    streams[index].groups.append(group)
                }
            }
        }
        var deadLetters: [DeadLetters] = []
        for stream in self.deadLetters {
            let name = StreamNames.unsharded(stream.stream)
            guard let index = deadLetters.firstIndex(where: { $0.stream == name }) else {
                deadLetters.append(DeadLetters(stream: name, length: stream.length, topReasons: stream.topReasons))
                continue
            }
            deadLetters[index].length += stream.length
            var counts: [String: Int] = [:]
            for (reason, count) in deadLetters[index].topReasons + stream.topReasons {
                counts[reason, default: 0] += count
            }
            deadLetters[index].topReasons = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(3).map { (reason: $0.key, count: $0.value) }
        }
        return StreamsSnapshot(takenAt: self.takenAt, streams: streams, deadLetters: deadLetters)
    }

    private static func sum(_ a: StreamInfo?, _ b: StreamInfo?) -> StreamInfo? {
        guard var a else { return b }
        guard let b else { return a }
        a.length += b.length
        a.firstEntryID = [a.firstEntryID, b.firstEntryID].compactMap { $0 }.min()
        a.lastEntryID = [a.lastEntryID, b.lastEntryID].compactMap { $0 }.max()
        a.lastGeneratedID = [a.lastGeneratedID, b.lastGeneratedID].compactMap { $0 }.max()
        a.groupCount = max(a.groupCount, b.groupCount)
        return a
    }

    private static func sum(_ a: Group, _ b: Group) -> Group {
        var info = a.info
        info.consumers = max(a.info.consumers, b.info.consumers)
        info.pending += b.info.pending
        info.lastDeliveredID = max(a.info.lastDeliveredID, b.info.lastDeliveredID)
        info.entriesRead = a.info.entriesRead.flatMap { read in b.info.entriesRead.map { read + $0 } }
        info.lag = a.info.lag.flatMap { lag in b.info.lag.map { lag + $0 } }
        let oldest = [a.oldestPendingID, b.oldestPendingID].compactMap { $0 }.min()
        return Group(info: info, oldestPendingID: oldest)
    }
}
