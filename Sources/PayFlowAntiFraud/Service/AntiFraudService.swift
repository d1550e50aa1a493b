import Logging
import PayFlowDomain
import PayFlowRuntime

/// The anti-fraud process as one object graph: the consumer group
/// `anti-fraud` on `payflow:events`, the rules over per-account state in
/// Redis (shared by replicas), alerts to `fraud_alerts` and `payflow:alerts`,
/// and the settler that confirms provisional verdicts once the group has
/// processed every earlier event.
///
/// `payflow anti-fraud` runs what ``make(_:)`` returns, and so do the tests.
public enum AntiFraudService {
    public static let group = ConsumerGroupName.antiFraud
    public static let defaultPort = 8091

    /// Reads the settings (`.env.example`, anti-fraud section), opens the
    /// connections and returns the process, ready to run.
    public static func make(_ context: ProcessContext) async throws -> PayFlowApplication {
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: Self.group.name, streams: Self.group.streams, environment: environment)
        let rules = try AntiFraudConfiguration(environment: environment)
        let settleInterval = try environment.milliseconds("ANTI_FRAUD_SETTLE_INTERVAL_MS", default: 1000, in: 10...600_000)
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort)

        // Every statement of the handler and of the settler is a single one,
        // so they share one PostgreSQL session and one Redis client.
        let database = try await application.connectDatabase()
        let redis = application.makeRedisClient()
        let state = AccountStateStore(configuration: rules, shards: application.shards, redis: redis)
        let stages = BatchStageTimers(group: group.group, stages: [
            "evaluate", "alerts", "alerts_insert", "outbox_claim", "outbox_xadd", "outbox_mark", "provisional", "settle_pass",
        ])
        let alerts = FraudAlertStore(database: database, redis: redis, shards: application.shards, stages: stages)
        let provisional = ProvisionalVerdictStore(database: database)
        application.addConsumerGroup(group, handler: AntiFraudHandler(state: state, alerts: alerts, provisional: provisional, stages: stages))
        application.trimStreams([StreamTrimmer.Target(stream: StreamNames.alerts)])

        let settler = ProvisionalVerdictSettler(state: state, verdicts: provisional, alerts: alerts)
        let progress = GroupProgress(of: group, stream: StreamNames.events, shards: application.shards, redis: redis)
        application.workers.append(PeriodicTask(name: "Settling provisional verdicts", interval: settleInterval, logger: context.logger) {
            let settling = ContinuousClock.now
            defer { stages.record("settle_pass", since: settling) }
            let result = try await settler.settle(through: try await progress.watermark())
            if result.settled > 0 {
                context.logger.debug("settled provisional verdicts", metadata: ["settled": "\(result.settled)", "alerted": "\(result.alerted)"])
            }
        })
        // Alerts whose publisher died, or whose entry a Redis restart lost: on
        // connections of its own, beside the handler's.
        let repair = StreamOutboxRepair(
            outboxes: [alerts.outbox], database: try await application.connectDatabase(),
            redis: application.makeRedisClient(), logger: context.logger
        )
        application.workers.append(PeriodicTask(name: "Outbox repair", interval: StreamOutboxRepair.interval, logger: context.logger) {
            try await repair.pass()
        })
        return application
    }
}
