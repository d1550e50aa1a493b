import Foundation
import Logging
import Metrics
import PayFlowRedis

/// Trims streams up to the oldest entry a consumer group still needs, never
/// past it.
///
/// `XADD ... MAXLEN ~` trims blindly: a group that lags more than the limit
/// behind loses entries it never read. The trimmer instead asks each group
/// what it still needs (`XINFO GROUPS`: its last-delivered id; `XPENDING`:
/// its oldest pending entry when it has any) and trims with `XTRIM ...
/// MINID ~` below the smallest of them, so an entry leaves the stream only
/// once every group has read and acked it. One `XINFO GROUPS` per stream and
/// per pass, plus one `XPENDING` per group with entries pending: cheap enough
/// to run every second beside producers that append thousands of entries a
/// second, and nothing at all on the `XADD` path.
///
/// The policies around that rule:
/// - **No group yet**: nobody has said what it needs, and a group created
///   later at `GROUP_START_ID=0` will want everything, so nothing is trimmed
///   (except by the safety limit).
/// - **Age** (``Target/maxAge``, the dead-letter streams'
///   `DEAD_LETTER_RETENTION_SECONDS`): entries older than the age go once
///   every group has read them; with no group, they go at that age.
/// - **Safety limit** (`STREAM_MAXLEN`): a group that is stopped or stuck
///   would otherwise hold its stream, and with Redis's `noeviction` policy
///   all of Redis, until memory runs out and every producer is refused. Past
///   the limit the stream is cut with `MAXLEN ~` anyway; the entries that
///   drops may be unread, so it is logged as an error and counted
///   (`payflow_stream_trimmed_total{reason="safety_limit"}`), never silent.
///
/// Races only make it keep more: groups move forward between the look and
/// the trim, and `~` removes whole radix-tree nodes only, never an entry at
/// or after the id it is given.
public struct StreamTrimmer: Sendable {
    /// A stream to trim, and how long its entries are kept at least.
    public struct Target: Sendable, Hashable {
        public var stream: String
        /// Entries younger than this stay even once every group has read
        /// them, and once older they go even if the stream has no group;
        /// nil: they go as soon as every group has read them.
        public var maxAge: Duration?

        public init(stream: String, maxAge: Duration? = nil) {
            self.stream = stream
            self.maxAge = maxAge
        }
    }

    /// What one pass did to one stream.
    public struct Outcome: Sendable, Equatable {
        /// The id the stream was trimmed to (`MINID`); nil when nothing was asked.
        public var minimumID: StreamEntryID?
        /// Entries removed because no group needed them any more (or, on a
        /// stream with a maximum age and no group, because they were too old).
        public var removed: Int = 0
        /// Entries removed by the safety limit, read or not.
        public var removedBySafetyLimit: Int = 0
    }

    /// One Redis or a cluster: each stream is trimmed where it lives.
    let redis: any RedisClient
    let targets: [Target]
    let settings: StreamTrimmingSettings
    let logger: Logger

    public init(redis: any RedisClient, targets: [Target], settings: StreamTrimmingSettings, logger: Logger) {
        self.redis = redis
        self.targets = targets
        self.settings = settings
        self.logger = logger
    }

    /// Trims every target once.
    public func trimAll(now: Date = Date()) async throws(RedisError) {
        for target in self.targets {
            try await self.trim(target, now: now)
        }
    }

    /// Trims one stream once: to what its groups still need, then to the
    /// safety limit.
    @discardableResult
    public func trim(_ target: Target, now: Date = Date()) async throws(RedisError) -> Outcome {
        try await self.redis.withConnection(serving: target.stream) { redis throws(RedisError) in
            try await self.trim(target, now: now, on: redis)
        }
    }

    private func trim(_ target: Target, now: Date, on redis: RedisConnection) async throws(RedisError) -> Outcome {
        var outcome = Outcome()
        let groups: [GroupInfo]
        do {
            groups = try await redis.groups(of: target.stream)
        } catch where error.code == .serverError && error.message.contains("no such key") {
            return outcome  // Nothing written yet: nothing to trim.
        }
        var needed: StreamEntryID?
        for group in groups {
            var oldest = group.lastDeliveredID.successor
            if group.pending > 0, let pending = try await redis.pendingSummary(stream: target.stream, group: group.name).oldestID {
                oldest = min(oldest, pending)
            }
            needed = min(needed ?? oldest, oldest)
        }
        if let maxAge = target.maxAge {
            let cutoff = now.addingTimeInterval(-Double(maxAge.wholeMilliseconds) / 1000)
            let expired = StreamEntryID(milliseconds: UInt64(max(0, cutoff.timeIntervalSince1970 * 1000)), sequence: 0)
            outcome.minimumID = min(needed ?? expired, expired)
        } else {
            outcome.minimumID = needed
        }
        if let minimumID = outcome.minimumID, minimumID > StreamEntryID.zero {
            outcome.removed = Int(try await redis.send(RedisCommand("XTRIM", target.stream, "MINID", "~", minimumID.description)).orThrow().integer ?? 0)
            if outcome.removed > 0 {
                Counter(label: "payflow_stream_trimmed_total", dimensions: [("stream", target.stream), ("reason", "no_longer_needed")]).increment(by: outcome.removed)
            }
        }
        if let limit = self.settings.safetyLimit {
            outcome.removedBySafetyLimit = Int(try await redis.send(RedisCommand("XTRIM", target.stream, "MAXLEN", "~", limit)).orThrow().integer ?? 0)
            if outcome.removedBySafetyLimit > 0 {
                Counter(label: "payflow_stream_trimmed_total", dimensions: [("stream", target.stream), ("reason", "safety_limit")]).increment(by: outcome.removedBySafetyLimit)
                self.logger.error("STREAM_MAXLEN reached: trimmed entries that a consumer group may not have read", metadata: [
                    "stream": "\(target.stream)", "removed": "\(outcome.removedBySafetyLimit)", "limit": "\(limit)",
                    "groups": "\(groups.map { "\($0.name) lag \($0.lag.map(String.init) ?? "?")" }.joined(separator: ", "))",
                ])
            }
        }
        return outcome
    }
}

extension StreamEntryID {
    /// The smallest id after this one: what a group whose last delivered
    /// entry is this one reads next, at the earliest.
    var successor: StreamEntryID {
        self.sequence == .max
            ? StreamEntryID(milliseconds: self.milliseconds + 1, sequence: 0)
            : StreamEntryID(milliseconds: self.milliseconds, sequence: self.sequence + 1)
    }
}
