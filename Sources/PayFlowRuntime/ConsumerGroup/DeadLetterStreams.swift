import Logging
import PayFlowRedis

/// The dead-letter streams of a fixed list of consumer groups, as the
/// generator's REST API shows and replays them (`GET /v1/dead-letters`,
/// `POST /v1/dead-letters/{group}/replay`). The replay itself is
/// ``DeadLetterReplay``, the code `payflow dlq replay` runs.
///
/// Each call opens a connection of its own and closes it: a replay `WATCH`es
/// the dead-letter stream, and a watch belongs to a connection, so two
/// requests must not share one. An operator's click is rare enough for that.
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
    let redis: RedisConfiguration
    let logger: Logger

    public init(groups: [String], redis: RedisConfiguration, logger: Logger) {
        self.groups = groups
        self.redis = redis
        self.logger = logger
    }

    /// Every group's dead-letter stream and its length, in `groups` order.
    public func summaries() async throws(Failure) -> [Summary] {
        try await self.withConnection { redis in
            var summaries: [Summary] = []
            for group in self.groups {
                let stream = ConsumerGroupConfiguration.deadLetterStream(forGroup: group)
                let length = try await redis.send(RedisCommand("XLEN", stream)).orThrow().integer ?? 0
                summaries.append(Summary(group: group, stream: stream, length: Int(length)))
            }
            return summaries
        }
    }

    /// Replays the given entries of `group`'s dead-letter stream (all when
    /// nil); ids no longer there are skipped. Returns how many went back.
    public func replay(group: String, ids: [StreamEntryID]?) async throws(Failure) -> Int {
        guard self.groups.contains(group) else { throw .unknownGroup(group, known: self.groups) }
        let stream = ConsumerGroupConfiguration.deadLetterStream(forGroup: group)
        let replayed = try await self.withConnection { redis in
            try await DeadLetterReplay(redis: redis).replay(deadLetterStream: stream, ids: ids, skippingMissing: true)
        }
        if !replayed.isEmpty {
            self.logger.notice("Replayed dead letters over REST", metadata: ["stream": "\(stream)", "replayed": "\(replayed.count)"])
        }
        return replayed.count
    }

    private func withConnection<Value: Sendable>(_ body: (RedisConnection) async throws -> Value) async throws(Failure) -> Value {
        let redis: RedisConnection
        do {
            redis = try await RedisConnection.connect(configuration: self.redis, logger: self.logger)
        } catch {
            throw .unavailable("\(error)")
        }
        do {
            let value = try await body(redis)
            await redis.close()
            return value
        } catch {
            await redis.close()
            throw .unavailable("\(error)")
        }
    }
}
