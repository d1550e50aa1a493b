import ArgumentParser
import Logging
import PayFlowAntiFraud
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// `payflow anti-fraud`: the consumer group `anti-fraud` on `payflow:events`.
/// Rules run against per-account state in Redis (shared by replicas); alerts
/// go to `fraud_alerts` and `payflow:alerts`. See the module's README.
struct AntiFraudCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anti-fraud",
        abstract: "Run the anti-fraud consumer group (rules over payflow:events, alerts to fraud_alerts and payflow:alerts)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.anti-fraud")
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: "anti-fraud", streams: [StreamNames.events], environment: environment)
        let rules = try AntiFraudConfiguration(environment: environment)
        let redis = try environment.redisConfiguration()
        let databaseURL = try environment.databaseURL()
        let probe = HealthProbe(redis: redis, databaseURL: databaseURL, logger: context.logger)
        let address = try environment.httpAddress(defaultPort: 8091)
        let settleInterval = try environment.milliseconds("ANTI_FRAUD_SETTLE_INTERVAL_MS", default: 1000, in: 10...600_000)
        let registry = OperationsServer.bootstrapMetrics()

        let database = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        // The handler's own connection: the runtime's two are busy blocking in reads.
        let stateRedis = RedisConnection(configuration: redis, logger: context.logger)
        let state = AccountStateStore(configuration: rules, redis: stateRedis)
        let alerts = FraudAlertStore(database: database, redis: stateRedis, streamMaxLength: rules.alertStreamMaxLength)
        let provisional = ProvisionalVerdictStore(database: database)
        let handler = AntiFraudHandler(state: state, alerts: alerts, provisional: provisional)
        let consumer = ConsumerGroupService(configuration: group, redis: redis, handler: handler, logger: context.logger)
        // Every statement of the handler and of the settler is a single one, so
        // they share the PostgreSQL session and the Redis connection.
        let settler = ProvisionalVerdictSettleService(
            settler: ProvisionalVerdictSettler(state: state, verdicts: provisional, alerts: alerts),
            redis: stateRedis, stream: StreamNames.events, group: group.group, interval: settleInterval, logger: context.logger
        )
        try await OperationsServer.run(
            [consumer, settler],
            router: OperationsServer.makeRouter(registry: registry, health: { await probe.report() }),
            host: address.host,
            port: address.port,
            logger: context.logger
        )
        await stateRedis.close()
        await database.close()
    }
}
