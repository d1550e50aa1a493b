import ArgumentParser
import Logging
import PayFlowDomain
import PayFlowNotification
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// `payflow notification`: the `notification` consumer group on
/// `payflow:events` and `payflow:alerts`, delivering to the channel
/// `NOTIFICATION_CHANNEL` names (`log` or `webhook`), with `/health` and
/// `/metrics` (`payflow_notifications_total{channel,kind,status}`) on
/// `HTTP_PORT` (8092).
struct NotificationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notification",
        abstract: "Run the notification service (messages per event and alert, to the log or a signed webhook)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.notification")
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(
            group: "notification", streams: [StreamNames.events, StreamNames.alerts], environment: environment
        )
        let settings = try NotificationSettings(environment: environment)
        let redis = try environment.redisConfiguration()
        let databaseURL = try environment.databaseURL()
        let probe = HealthProbe(redis: redis, databaseURL: databaseURL, logger: context.logger)
        let address = try environment.httpAddress(defaultPort: 8092)
        let templates = try NotificationTemplates()
        let registry = OperationsServer.bootstrapMetrics()

        let channel: any NotificationChannel
        var webhookChannel: WebhookChannel?
        switch settings.channel {
        case .log:
            channel = LogChannel(logger: Logger(label: "payflow.notification.log"))
        case .webhook:
            guard let webhook = settings.webhook else {
                throw ConfigurationError(variable: "WEBHOOK_URL", problem: "is required when NOTIFICATION_CHANNEL=webhook")
            }
            let webhookOnly = WebhookChannel(settings: webhook, concurrency: settings.concurrency, logger: context.logger)
            webhookChannel = webhookOnly
            channel = webhookOnly
        }
        context.logger.info("Notification channel", metadata: ["channel": "\(settings.channel.rawValue)", "concurrency": "\(settings.concurrency)"])

        // Single statements only, so the consumer's two loops share this session.
        let database = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        let consumer = ConsumerGroupService(
            configuration: group,
            redis: redis,
            handler: NotificationHandler(
                database: database,
                channel: channel,
                templates: templates,
                concurrency: settings.concurrency,
                eventsStream: StreamNames.events,
                alertsStream: StreamNames.alerts
            ),
            logger: context.logger
        )
        let result: Result<Void, any Error>
        do {
            try await OperationsServer.run(
                [consumer],
                router: OperationsServer.makeRouter(registry: registry, health: { await probe.report() }),
                host: address.host,
                port: address.port,
                logger: context.logger
            )
            result = .success(())
        } catch {
            result = .failure(error)
        }
        // After the consumer finished its last batch: no delivery is in flight.
        await webhookChannel?.shutdown()
        await database.close()
        try result.get()
    }
}
