import Logging
import PayFlowRedis

/// The dead-letter streams of a fixed list of consumer groups, as the
/// generator's REST API shows and replays them (`GET /v1/dead-letters`,
/// `POST /v1/dead-letters/{group}/replay`). The replay itself is
/// ``DeadLetterReplay``, the code `payflow dlq replay` runs.
///
/// Each call opens connections of its own (``ShardedDeadLetters``) and closes
/// them: a replay `WATCH`es the dead-letter stream, and a watch belongs to a
/// connection, so two requests must not share one. An operator's click is
/// rare enough for that.
public struct DeadLetterStreams: Sendable {
    public struct Summary: Sendable, Equatable {
        public var group: String
        public var stream: String
        /// 0 when the stream does not exist (nothing was ever dead-lettered).
        public var length: Int
    }

    /// Why a request cannot be carried out.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not one of the groups this API serves.
        case unknownGroup(String, known: [String])
        /// Redis refused or is unreachable; retrying later may work.
        case unavailable(String)

        public var description: String {
            switch self {
            case .unknownGroup(let group, let known): "unknown consumer group '\(group)'; known: \(known.joined(separator: ", "))"
            case .unavailable(let why): "Redis is unavailable: \(why)"
            }
        }
    }

    public let groups: [String]
    let deadLetters: ShardedDeadLetters
    let logger: Logger

    /// `shards` (`EVENT_SHARDS`): a group has a dead-letter stream per shard;
    /// a summary sums them, a replay finds each entry on its shard.
    /// `cluster`: each shard's dead letters are read from its master.
    public init(groups: [String], redis: RedisConfiguration, shards: StreamShards = .unsharded, cluster: RedisCluster? = nil, logger: Logger) {
        self.groups = groups
        self.deadLetters = ShardedDeadLetters(shards: shards, redis: redis, cluster: cluster, logger: logger)
        self.logger = logger
    }

    /// Every group's dead-letter stream and its length, in `groups` order.
    public func summaries() async throws(Failure) -> [Summary] {
        try await self.unavailableOnError {
            var summaries: [Summary] = []
            for group in self.groups {
                let stream = ConsumerGroupConfiguration.deadLetterStream(forGroup: group)
                let lengths = try await self.deadLetters.lengths(group: group)
                summaries.append(Summary(group: group, stream: stream, length: lengths.reduce(0, +)))
            }
            return summaries
        }
    }

    /// Replays the given entries of `group`'s dead-letter stream (all when
    /// nil), on every shard; ids no longer there are skipped. Returns how
    /// many went back.
    public func replay(group: String, ids: [StreamEntryID]?) async throws(Failure) -> Int {
        guard self.groups.contains(group) else { throw .unknownGroup(group, known: self.groups) }
        let stream = ConsumerGroupConfiguration.deadLetterStream(forGroup: group)
        let replayed = try await self.unavailableOnError {
            try await self.deadLetters.replay(group: group, ids: ids)
        }
        if !replayed.isEmpty {
            self.logger.notice("Replayed dead letters over REST", metadata: ["stream": "\(stream)", "replayed": "\(replayed.count)"])
        }
        return replayed.count
    }

    private func unavailableOnError<Value: Sendable>(_ body: () async throws -> Value) async throws(Failure) -> Value {
        do {
            return try await body()
        } catch {
            throw .unavailable("\(error)")
        }
    }
}
