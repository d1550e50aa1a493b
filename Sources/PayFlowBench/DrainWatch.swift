import Foundation
import Logging
import PayFlowAuditLog
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// Waits until the platform has done everything with what is on its streams,
/// and says when that happened: the end of `make bench`'s end-to-end run.
///
/// "Done" means: every watched group has read every entry of every stream it
/// reads (lag 0) and acked it (nothing pending), and, when a `databaseURL`
/// is given, `audit_log` holds one row per entry of every PayFlow stream. Settled alerts
/// and swept mismatches come a little after the last event, and the groups
/// must then handle those too; so the state must hold, unchanged, for
/// `stableFor` before it counts, and the time reported is when it was first seen.
public struct DrainWatch: Sendable {
    public struct Result: Codable, Sendable {
        /// When the final drained state was first seen (Unix ms, this host's
        /// clock: the one Redis stamps entry ids with when run on the same host).
        public var drainedAtMilliseconds: Int64
        /// Entries on each stream at that time.
        public var streamLengths: [String: Int]
        /// The millisecond parts of the first and last ids on `payflow:events`.
        public var firstEventMilliseconds: Int64?
        public var lastEventMilliseconds: Int64?
        public var auditRows: Int?
    }

    public var redis: RedisConfiguration
    public var databaseURL: String?
    public var groups: [String]
    public var expectedEvents: Int
    public var stableFor: Duration
    public var logger: Logger

    public init(redis: RedisConfiguration, databaseURL: String?, groups: [String], expectedEvents: Int, stableFor: Duration, logger: Logger) {
        self.redis = redis
        self.databaseURL = databaseURL
        self.groups = groups
        self.expectedEvents = expectedEvents
        self.stableFor = stableFor
        self.logger = logger
    }

    private struct Observation: Equatable {
        var lengths: [String: Int]
        var auditRows: Int?
    }

    public func wait(timeout: Duration) async throws -> Result {
        let redis = try await RedisConnection.connect(configuration: self.redis, logger: self.logger)
        var database: PostgresConnection?
        do {
            if let url = self.databaseURL {
                database = try await PostgresConnection.connect(url: url, logger: self.logger)
            }
            let result = try await self.watch(redis: redis, database: database, timeout: timeout)
            await redis.close()
            await database?.close()
            return result
        } catch {
            await redis.close()
            await database?.close()
            throw error
        }
    }

    private func watch(redis: RedisConnection, database: PostgresConnection?, timeout: Duration) async throws -> Result {
        let deadline = ContinuousClock.now + timeout
        var candidate: (observation: Observation, seenAt: Date, since: ContinuousClock.Instant)?
        while ContinuousClock.now < deadline {
            let seenAt = Date()
            guard let observation = try await self.drainedObservation(redis: redis, database: database, counted: candidate?.observation) else {
                candidate = nil
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            guard let current = candidate, current.observation == observation else {
                candidate = (observation, seenAt, ContinuousClock.now)
                continue
            }
            if ContinuousClock.now - current.since >= self.stableFor {
                let events = try await redis.streamInfo(StreamNames.events)
                return Result(
                    drainedAtMilliseconds: Int64(current.seenAt.timeIntervalSince1970 * 1000),
                    streamLengths: observation.lengths,
                    firstEventMilliseconds: events?.firstEntryID.map { Int64(clamping: $0.milliseconds) },
                    lastEventMilliseconds: events?.lastEntryID.map { Int64(clamping: $0.milliseconds) },
                    auditRows: observation.auditRows
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DrainWatchError(message: "not drained within \(timeout)")
    }

    /// The state when everything is handled, or nil while something is not.
    ///
    /// `counted` is the drained state seen last, whose audit rows were
    /// counted. With the same stream lengths and every group caught up with
    /// nothing pending, no row can have come or gone since (audit-log writes
    /// a row only for an entry it has not acked), so it is not counted again:
    /// `count(*)` over `audit_log` is a sequential scan, and at every poll of
    /// the stable window it was up to ~11 µs per event of the "postgres" CPU
    /// that `make bench` reports for the platform (30-odd scans per run of
    /// 100,000 events).
    private func drainedObservation(redis: RedisConnection, database: PostgresConnection?, counted: Observation?) async throws -> Observation? {
        var lengths: [String: Int] = [:]
        var groupsOnEvents: Set<String> = []
        for stream in AuditLogService.streams {
            guard let info = try await redis.streamInfo(stream) else { continue }
            lengths[stream] = info.length
            for group in try await redis.groups(of: stream) where self.groups.contains(group.name) {
                if stream == StreamNames.events { groupsOnEvents.insert(group.name) }
                let caughtUp = group.lag.map { $0 == 0 } ?? (group.lastDeliveredID == info.lastGeneratedID)
                guard caughtUp, group.pending == 0 else { return nil }
            }
        }
        guard (lengths[StreamNames.events] ?? 0) >= self.expectedEvents, groupsOnEvents == Set(self.groups) else { return nil }
        guard let database else { return Observation(lengths: lengths) }
        if let counted, counted.lengths == lengths, counted.auditRows != nil { return counted }
        let rows = try await database.query("SELECT count(*) FROM audit_log").rows.first.map { try $0.decode(0, as: Int.self) } ?? 0
        guard rows == lengths.values.reduce(0, +) else { return nil }
        return Observation(lengths: lengths, auditRows: rows)
    }
}

public struct DrainWatchError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { self.message }
}
