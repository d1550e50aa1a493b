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

    /// Reads the settings (`.env.example`, reconciliation section), opens the
    /// connections and returns the process, ready to run.
    public static func make(_ context: ProcessContext) async throws -> PayFlowApplication {
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: Self.group.name, streams: Self.group.streams, environment: environment)
        let settings = try ReconciliationSettings(environment: environment)
        let streamMaxLength = try environment.streamMaxLength()
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort)

        // The handler's statements and the sweep's transactions each get a
        // session: a pass is a transaction and must not share one.
        application.addConsumerGroup(group, handler: ReconciliationHandler(database: try await application.connectDatabase()))
        let sweepDatabase = try await application.connectDatabase()
        let sweepRedis = application.makeRedisConnection()
        let sweeper = ReconciliationSweeper(
            database: sweepDatabase,
            progress: GroupProgress(of: group, stream: StreamNames.events, redis: sweepRedis),
            settings: settings,
            logger: context.logger
        )
        let publisher = MismatchPublisher(database: sweepDatabase, redis: sweepRedis, streamMaxLength: streamMaxLength)
        // One pass: sweep, then publish what is unpublished (the handler's mismatches too).
        application.workers.append(PeriodicTask(name: "Reconciliation sweep", interval: settings.sweepInterval, logger: context.logger) {
            try await sweeper.sweep()
            try await publisher.publishPending()
        })
        // Mismatches whose publisher died, or whose entry a Redis restart lost.
        let repair = StreamOutboxRepair(
            outboxes: [publisher.outbox], database: try await application.connectDatabase(),
            redis: application.makeRedisConnection(), logger: context.logger
        )
        application.workers.append(PeriodicTask(name: "Outbox repair", interval: StreamOutboxRepair.interval, logger: context.logger) {
            try await repair.pass()
        })
        return application
    }
}
