import ArgumentParser
import Logging
import PayFlowDomain
import PayFlowPostgres
import PayFlowReconciliation
import PayFlowRedis
import PayFlowRuntime

/// `payflow reconciliation`: the `reconciliation` consumer group on
/// `payflow:events` and its periodic sweep, in one process, with `/health`
/// and `/metrics` (`payflow_mismatches_total{kind}`) on `HTTP_PORT` (8093).
struct ReconciliationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconciliation",
        abstract: "Run the reconciliation service (events against the reference ledger)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.reconciliation")
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: "reconciliation", streams: [StreamNames.events], environment: environment)
        let settings = try ReconciliationSettings(environment: environment)
        let redis = try environment.redisConfiguration()
        let databaseURL = try environment.databaseURL()
        let probe = HealthProbe(redis: redis, databaseURL: databaseURL, logger: context.logger)
        let address = try environment.httpAddress(defaultPort: 8093)
        let maxLength = try environment.integer("STREAM_MAXLEN", default: 1_000_000, in: 0...Int.max)
        let registry = OperationsServer.bootstrapMetrics()

        // The handler's statements and the sweep's transactions each get a session.
        let handlerDatabase = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        let sweepDatabase = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        let sweepRedis = RedisConnection(configuration: redis, logger: context.logger)

        let consumer = ConsumerGroupService(
            configuration: group,
            redis: redis,
            handler: ReconciliationHandler(database: handlerDatabase),
            logger: context.logger
        )
        let sweep = ReconciliationSweepService(
            sweeper: ReconciliationSweeper(database: sweepDatabase, redis: sweepRedis, settings: settings, group: group.group, logger: context.logger),
            publisher: MismatchPublisher(database: sweepDatabase, redis: sweepRedis, streamMaxLength: maxLength == 0 ? nil : maxLength),
            interval: settings.sweepInterval,
            logger: context.logger
        )
        try await OperationsServer.run(
            [consumer, sweep],
            router: OperationsServer.makeRouter(registry: registry, health: { await probe.report() }),
            host: address.host,
            port: address.port,
            logger: context.logger
        )
        await sweepRedis.close()
        await sweepDatabase.close()
        await handlerDatabase.close()
    }
}
