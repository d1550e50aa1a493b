import Logging
import PayFlowDomain
import PayFlowRuntime

/// The notification process as one object graph: the consumer group
/// `notification` on `payflow:events`, `payflow:alerts` and
/// `payflow:mismatches`, a templated message per event, alert and mismatch,
/// delivered to the channel
/// `NOTIFICATION_CHANNEL` names (`log` or a signed `webhook`), each
/// recorded once in `notifications`.
///
/// `payflow notification` runs what ``make(_:)`` returns, and so do the tests.
public enum NotificationService {
    public static let group = ConsumerGroupName.notification
    public static let defaultPort = 8092

    /// Reads the settings (`.env.example`, notification section), opens the
    /// connections and returns the process, ready to run.
    public static func make(_ context: ProcessContext) async throws -> PayFlowApplication {
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: Self.group.name, streams: Self.group.streams, environment: environment)
        let settings = try NotificationSettings(environment: environment)
        let templates = try NotificationTemplates()
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort)

        // The consumer's two loops share this session: the webhook path uses single
        // statements, the log path's transactions take turns (NotificationStoreGate).
        let database = try await application.connectDatabase()
        let channel = Self.makeChannel(settings, logger: context.logger, application: &application)
        context.logger.info("Notification channel", metadata: ["channel": "\(settings.channel.rawValue)", "concurrency": "\(settings.concurrency)"])

        let handler = NotificationHandler(
            database: database,
            channel: channel,
            templates: templates,
            concurrency: settings.concurrency,
            eventsStream: StreamNames.events,
            alertsStream: StreamNames.alerts,
            mismatchesStream: StreamNames.mismatches
        )
        application.addConsumerGroup(group, handler: handler)
        try await application.addRetentionPurge(Self.retentionPurge(environment))
        return application
    }

    /// `NOTIFICATION_RETENTION_SECONDS` (30 days; 0 keeps every row): settled
    /// rows (delivered or failed) whose last change is older go. A `pending`
    /// row stays: its entry may still be in some consumer's hands. A purged
    /// notification is no longer known, so an entry redelivered after that
    /// (a `payflow dlq replay` of an old dead letter) is notified again;
    /// streams are trimmed once acked, so nothing else comes back that late.
    public static func retentionPurge(_ environment: Environment) throws(ConfigurationError) -> RetentionPurge? {
        let seconds = try environment.integer("NOTIFICATION_RETENTION_SECONDS", default: 2_592_000, in: 0...Int(Int32.max))
        guard seconds > 0 else { return nil }
        return RetentionPurge(name: "notifications", retention: .seconds(seconds), deleteBatch: """
            DELETE FROM notifications WHERE notification_id IN (
                SELECT notification_id FROM notifications
                WHERE status <> 'pending' AND updated_at < now() - $1::bigint * interval '1 second'
                ORDER BY updated_at LIMIT $2)
            """)
    }

    /// The channel the settings name. A webhook channel's HTTP client is shut
    /// down on close, after the consumer finished its last batch, so no
    /// delivery is in flight then.
    private static func makeChannel(
        _ settings: NotificationSettings,
        logger: Logger,
        application: inout PayFlowApplication
    ) -> any NotificationChannel {
        guard let webhook = settings.webhook else {
            return LogChannel(logger: Logger(label: "payflow.notification.log"))
        }
        let channel = WebhookChannel(settings: webhook, concurrency: settings.concurrency, logger: logger)
        application.onClose { await channel.shutdown() }
        return channel
    }
}
