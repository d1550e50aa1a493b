import PayFlowRedis

/// How far a consumer group has *processed* a stream (not merely read it),
/// read from Redis: every entry at or before the watermark has been acked, and
/// the runtime acks only after the handler's effects are durable.
///
/// Services use it to wait for "everything before this entry is done" across
/// replicas: reconciliation so that `missing_in_stream` never blames a ledger
/// row whose event is merely not consumed yet, anti-fraud so that a verdict
/// that a late event could overturn is settled only once no earlier event can
/// still arrive.
public enum ConsumptionWatermark: Equatable, Sendable {
    /// Nothing pending and nothing unread: everything XADDed so far is processed.
    case caughtUp
    /// Every entry with an id time at or before this (Unix ms) is processed.
    case processedThrough(milliseconds: UInt64)
    /// The stream or the group does not exist yet: nothing can be concluded.
    case unknown

    /// Whether every entry up to `id` (its millisecond) is processed.
    public func covers(_ id: StreamEntryID) -> Bool {
        switch self {
        case .caughtUp: true
        case .processedThrough(let milliseconds): id.milliseconds <= milliseconds
        case .unknown: false
        }
    }

    /// The watermark of a group over the shards of one stream: what every
    /// shard has processed. Unknown while any shard is; caught up when all
    /// are; otherwise the earliest shard's point (a caught-up shard holds
    /// nothing back). An entry it covers is processed on its shard whatever
    /// the shard, so work waiting on it stays as safe as on one stream, only
    /// later when one shard lags.
    public static func earliest(of shards: [ConsumptionWatermark]) -> ConsumptionWatermark {
        var through: UInt64?
        for watermark in shards {
            switch watermark {
            case .unknown: return .unknown
            case .caughtUp: continue
            case .processedThrough(let milliseconds): through = min(through ?? .max, milliseconds)
            }
        }
        return through.map { .processedThrough(milliseconds: $0) } ?? .caughtUp
    }

    /// `XINFO STREAM`, `XINFO GROUPS` and an `XPENDING` summary in one round trip.
    public static func read(redis: RedisConnection, stream: String, group: String) async throws(RedisError) -> ConsumptionWatermark {
        let replies = try await redis.pipeline([
            RedisCommand("XINFO", "STREAM", stream),
            RedisCommand("XINFO", "GROUPS", stream),
            RedisCommand("XPENDING", stream, group),
        ])
        // An error reply is "no such key" or NOGROUP: not started yet.
        guard replies.count == 3, replies.allSatisfy({ if case .error = $0 { false } else { true } }) else {
            return .unknown
        }
        guard let lastGenerated = replies[0].fieldMap["last-generated-id"]?.string.flatMap({ StreamEntryID($0) }),
              let groupInfo = (replies[1].array ?? []).map(\.fieldMap).first(where: { $0["name"]?.string == group }),
              let lastDelivered = groupInfo["last-delivered-id"]?.string.flatMap({ StreamEntryID($0) }),
              let summary = replies[2].array, let pendingCount = summary.first?.integer
        else { return .unknown }

        if pendingCount == 0 && lastDelivered >= lastGenerated {
            return .caughtUp
        }
        // Entries in the same millisecond as an unread or pending one may be
        // unprocessed too, hence the millisecond before.
        var through = lastDelivered.milliseconds &- 1
        if pendingCount > 0, summary.count > 1, let smallest = summary[1].string.flatMap({ StreamEntryID($0) }) {
            through = min(through, smallest.milliseconds &- 1)
        }
        return .processedThrough(milliseconds: lastDelivered == .zero ? 0 : through)
    }
}
