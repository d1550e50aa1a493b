import Logging
import PayFlowDomain
import PayFlowRuntime

/// The notification process as one object graph: the consumer group
/// `notification` on `payflow:events` and `payflow:alerts`, a templated
/// message per event and alert, delivered to the channel
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

        // Single statements only, so the consumer's two loops share this session.
        let database = try await application.connectDatabase()
        let channel = Self.makeChannel(settings, logger: context.logger, application: &application)
        context.logger.info("Notification channel", metadata: ["channel": "\(settings.channel.rawValue)", "concurrency": "\(settings.concurrency)"])

        let handler = NotificationHandler(
            database: database,
            channel: channel,
            templates: templates,
            concurrency: settings.concurrency,
            eventsStream: StreamNames.events,
            alertsStream: StreamNames.alerts
        )
        application.addConsumerGroup(group, handler: handler)
        return application
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
