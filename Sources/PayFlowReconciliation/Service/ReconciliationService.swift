import Logging
import PayFlowDomain
import PayFlowRuntime

/// The reconciliation process as one object graph: the consumer group
/// `reconciliation` on `payflow:events`, which compares each transaction
/// with its ledger row as it arrives, and the sweep, which decides what only
/// time can decide and publishes new mismatches to `payflow:mismatches`.
///
/// `payflow reconciliation` runs what ``make(_:)`` returns, and so do the tests.
public enum ReconciliationService {
    public static let group = ConsumerGroupName.reconciliation
    public static let defaultPort = 8093

    /// `RECONCILIATION_SEEN_RETENTION_SECONDS` (7 days; 0 keeps every row):
    /// first-seen rows already checked against the ledger, first seen longer
    /// ago, go. What that gives up: the same event id XADDed again after that
    /// long is not reported as `duplicate_event`. Rows still waiting for
    /// their ledger row stay, and the minimum (one hour) stays far above the
    /// grace period and the sweep's look-back, so the checks the sweep still
    /// has to make always find their rows.
    public static func retentionPurge(_ environment: Environment) throws(ConfigurationError) -> RetentionPurge? {
        let seconds = try environment.integer("RECONCILIATION_SEEN_RETENTION_SECONDS", default: 604_800, in: 0...Int(Int32.max))
        guard seconds > 0 else { return nil }
        guard seconds >= 3_600 else {
            throw ConfigurationError(variable: "RECONCILIATION_SEEN_RETENTION_SECONDS", problem: "must be 0 (keep) or at least 3600, got \(seconds)")
        }
        return RetentionPurge(name: "reconciliation_seen", retention: .seconds(seconds), deleteBatch: """
            DELETE FROM reconciliation_seen WHERE (transaction_id, entry_id) IN (
                SELECT transaction_id, entry_id FROM reconciliation_seen
                WHERE checked_at IS NOT NULL AND first_seen_at < now() - $1::bigint * interval '1 second'
                ORDER BY first_seen_at LIMIT $2)
            """)
    }

    /// Reads the settings (`.env.example`, reconciliation section), opens the
    /// connections and returns the process, ready to run.
    public static func make(_ context: ProcessContext) async throws -> PayFlowApplication {
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: Self.group.name, streams: Self.group.streams, environment: environment)
        let settings = try ReconciliationSettings(environment: environment)
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort)

        // The handler's statements and the sweep's transactions each get a
        // session: a pass is a transaction and must not share one.
        application.addConsumerGroup(group, handler: ReconciliationHandler(database: try await application.connectDatabase()))
        let sweepDatabase = try await application.connectDatabase()
        let sweepRedis = application.makeRedisClient()
        let sweeper = ReconciliationSweeper(
            database: sweepDatabase,
            progress: GroupProgress(of: group, stream: StreamNames.events, shards: application.shards, redis: sweepRedis),
            settings: settings,
            logger: context.logger
        )
        let publisher = MismatchPublisher(database: sweepDatabase, redis: sweepRedis, shards: application.shards)
        // One pass: sweep, then publish what is unpublished (the handler's mismatches too).
        application.workers.append(PeriodicTask(name: "Reconciliation sweep", interval: settings.sweepInterval, logger: context.logger) {
            try await sweeper.sweep()
            try await publisher.publishPending()
        })
        application.trimStreams([StreamTrimmer.Target(stream: StreamNames.mismatches)])
        try await application.addRetentionPurge(Self.retentionPurge(environment))
        // Mismatches whose publisher died, or whose entry a Redis restart lost.
        let repair = StreamOutboxRepair(
            outboxes: [publisher.outbox], database: try await application.connectDatabase(),
            redis: application.makeRedisClient(), logger: context.logger
        )
        application.workers.append(PeriodicTask(name: "Outbox repair", interval: StreamOutboxRepair.interval, logger: context.logger) {
            try await repair.pass()
        })
        return application
    }
}
