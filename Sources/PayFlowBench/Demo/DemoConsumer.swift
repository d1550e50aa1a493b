import Logging
import PayFlowDomain
import PayFlowPostgres
import PayFlowRuntime

/// A consumer group that exercises the runtime alone, with no payment logic:
/// it reads `payflow:events` as the group `demo` and records each event id
/// in `processed_events`, idempotently, before acking. The smallest complete
/// example of a service, and what the runtime's process tests kill and
/// restart.
///
/// `payflow demo-consumer` runs what ``make(_:)`` returns.
public enum DemoConsumer {
    public static let group = "demo"
    public static let defaultPort = 8090

    /// Reads the settings (the runtime's, plus `DEMO_BATCH_DELAY_MS`), opens
    /// the connection and returns the process, ready to run.
    public static func make(_ context: ProcessContext) async throws -> PayFlowApplication {
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: Self.group, streams: [StreamNames.events], environment: environment)
        let batchDelay = try environment.milliseconds("DEMO_BATCH_DELAY_MS", default: 0, in: 0...600_000)
        let redis = try environment.redisConfiguration()
        let databaseURL = try environment.databaseURL()
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort, redis: redis, databaseURL: databaseURL)

        let database = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        application.onClose { await database.close() }
        application.workers = [
            ConsumerGroupService(
                configuration: group, redis: redis,
                handler: ProcessedEventsRecorder(group: group.group, database: database, batchDelay: batchDelay),
                logger: context.logger
            ),
        ]
        return application
    }
}
