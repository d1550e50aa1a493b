import Logging
import PayFlowPostgres
import PayFlowRedis
import Synchronization

/// What a ``StreamOutbox`` needs besides its publishers: someone to publish
/// the rows nobody else will. Run as a ``PeriodicTask`` (``pass()``) by every
/// service with an outbox; any number of replicas may run it at once.
///
/// Two kinds of rows:
/// - **abandoned claims**: a publisher claimed the row and died before
///   marking it; after ``StreamOutbox/claimLease`` the repair claims and
///   publishes it (possibly a second time, if the dead one's `XADD` landed:
///   readers dedupe by key);
/// - **entries a Redis restart lost**: `kill -9` of redis-server, or a host
///   crash, loses whatever its AOF had not written (`appendfsync everysec`:
///   up to about a second, two when the disk lags; `always`: nothing that
///   was acknowledged). A row marked published whose entry is no longer on
///   the stream is published again.
///
/// Redis restarts are seen by its `run_id` changing (and once at start, for a
/// restart while this process was down). The AOF is a log, so what a restart
/// loses is a suffix of the writes: every entry older than the newest one
/// still on the stream from before the restart survived. So only the rows
/// published after that entry and before the restart are checked, each with
/// `XRANGE id id`, instead of the whole table.
public final class StreamOutboxRepair: Sendable {
    let outboxes: [StreamOutbox]
    let database: PostgresConnection
    let redis: any RedisClient
    let logger: Logger
    /// By stream (each shard's), the `run_id` of the Redis server that held
    /// it when last repaired after; none at first. On a cluster each master
    /// restarts on its own.
    private let repairedRunIDs = Mutex<[String: String]>([:])

    /// `database` and `redis` should be connections of the repair's own: a
    /// pass runs beside the consumer group, not inside its transactions.
    public init(outboxes: [StreamOutbox], database: PostgresConnection, redis: any RedisClient, logger: Logger) {
        self.outboxes = outboxes
        self.database = database
        self.redis = redis
        self.logger = logger
    }

    /// How often services run ``pass()``: seconds after a restart matter less
    /// than not adding load (an `INFO` and a `TIME` per shard, one indexed
    /// query per pass).
    public static let interval: Duration = .seconds(2)

    /// One pass: abandoned claims, then, if Redis restarted since the last
    /// pass, the entries the restart lost. Idempotent; throws to be retried.
    public func pass() async throws {
        for outbox in self.outboxes {
            let keys = try await self.database.query(outbox.claimStale).rows.map { try $0.decode(0, as: String.self) }
            if !keys.isEmpty {
                try await outbox.publishClaimed(try await outbox.load(keys, self.database), in: self.database)
                self.logger.warning("Published rows whose publisher died", metadata: ["stream": "\(outbox.stream)", "count": "\(keys.count)"])
            }
        }
        for outbox in self.outboxes {
            for shard in outbox.shards.shards {
                let stream = shard.name(outbox.stream)
                let server = try await self.redis.withConnection(serving: stream) { redis throws(RedisError) in
                    try await Self.serverStart(redis)
                }
                guard self.repairedRunIDs.withLock({ $0[stream] }) != server.runID else { continue }
                let republished = try await self.republishLost(
                    on: outbox, stream: stream, startedBetween: server.earliestStart, and: server.latestStart
                )
                if republished > 0 {
                    self.logger.warning(
                        "Published again what a Redis restart lost",
                        metadata: ["stream": "\(stream)", "count": "\(republished)", "run_id": "\(server.runID)"]
                    )
                }
                // Only once the stream is repaired: a failed pass repairs again.
                self.repairedRunIDs.withLock { $0[stream] = server.runID }
            }
        }
    }

    /// The server's `run_id` and when it started, in its own clock (the one
    /// its entry ids use): `uptime_in_seconds` is whole seconds, hence a range.
    static func serverStart(_ redis: RedisConnection) async throws(RedisError) -> (runID: String, earliestStart: UInt64, latestStart: UInt64) {
        let info = try await redis.send(RedisCommand("INFO", "server")).orThrow().string ?? ""
        var values: [Substring: Substring] = [:]
        for line in info.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        let time = try await redis.send(RedisCommand("TIME")).orThrow().array?.compactMap { $0.string.flatMap { UInt64($0) } } ?? []
        guard let runID = values["run_id"], let uptime = values["uptime_in_seconds"].flatMap({ UInt64($0) }), time.count == 2 else {
            throw RedisError(.unexpectedReply, "INFO server without run_id or uptime_in_seconds, or TIME without two numbers")
        }
        let now = time[0] * 1000 + time[1] / 1000
        // `uptime_in_seconds` is the difference of two times truncated to the
        // second, one of them cached by Redis's cron: the start lies up to a
        // second or so either side of `estimate`. A window too early missed the
        // writes of the last second before a crash, the likeliest to be lost
        // (seen on a loaded CI machine); a wider one only checks a few more
        // rows with XRANGE, and entries written after the restart are found.
        let estimate = now - min(now, uptime * 1000)
        return (String(runID), estimate - min(estimate, 2000), estimate + 2000)
    }

    /// Publishes again the rows of `outbox` published on `stream` (one
    /// shard's) before the restart whose entries are not on it; returns how many.
    func republishLost(on outbox: StreamOutbox, stream: String, startedBetween earliestStart: UInt64, and latestStart: UInt64) async throws -> Int {
        // The newest entry from before the restart: everything up to it survived.
        let survivor = try await self.redis.withConnection(serving: stream) { redis throws(RedisError) in
            try await redis.range(stream: stream, to: "\(earliestStart)", count: 1, reverse: true).first?.id ?? .zero
        }
        let rows = try await self.database.query(outbox.selectPublishedBetween, [Int64(survivor.milliseconds), Int64(latestStart)]).rows
        var candidates = try rows.compactMap { row -> (key: String, id: StreamEntryID)? in
            guard let id = StreamEntryID(try row.decode(1, as: String.self)), id > survivor else { return nil }
            return (try row.decode(0, as: String.self), id)
        }
        if outbox.shards.count > 1 && !candidates.isEmpty {
            // Only the rows published on this shard (a row gone from the
            // table meanwhile, purged, has nothing to publish).
            let here = Set(try await outbox.load(candidates.map(\.key), self.database).filter { outbox.stream(of: $0) == stream }.map(\.key))
            candidates = candidates.filter { here.contains($0.key) }
        }
        guard !candidates.isEmpty else { return 0 }
        var lost: [(key: String, id: StreamEntryID)] = []
        for chunk in stride(from: 0, to: candidates.count, by: 500).map({ candidates[$0..<min($0 + 500, candidates.count)] }) {
            let replies = try await self.redis.withConnection(serving: stream) { redis throws(RedisError) in
                try await redis.pipeline(chunk.map { RedisCommand("XRANGE", stream, $0.id.description, $0.id.description) })
            }
            for (candidate, reply) in zip(chunk, replies) where (try reply.orThrow().array ?? []).isEmpty {
                lost.append(candidate)
            }
        }
        guard !lost.isEmpty else { return 0 }
        let reclaimed = try await self.database.query(
            outbox.reclaimLost,
            [PostgresArrayLiteral.text(lost.map(\.key)), PostgresArrayLiteral.text(lost.map(\.id.description))]
        ).rows.map { try $0.decode(0, as: String.self) }
        guard !reclaimed.isEmpty else { return 0 }
        try await outbox.publishClaimed(try await outbox.load(reclaimed, self.database), in: self.database)
        return reclaimed.count
    }
}
