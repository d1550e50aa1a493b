import Logging
import PayFlowDomain
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
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort)
        let database = try await application.connectDatabase()
        application.addConsumerGroup(group, handler: ProcessedEventsRecorder(group: group.group, database: database, batchDelay: batchDelay))
        return application
    }
}
