import ArgumentParser
import Logging
import PayFlowDomain
import PayFlowPostgres
import PayFlowRuntime

/// A consumer that proves the runtime end to end before the real services
/// exist: it reads `payflow:events` as the group `demo` and records each
/// event id in `processed_events`, idempotently, before acking.
struct DemoConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-consumer",
        abstract: "Run the demo consumer group (records event ids in PostgreSQL)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.demo-consumer")
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: "demo", streams: [StreamNames.events], environment: environment)
        let redis = try environment.redisConfiguration()
        let databaseURL = try environment.databaseURL()
        let probe = HealthProbe(redis: redis, databaseURL: databaseURL, logger: context.logger)
        let address = try environment.httpAddress(defaultPort: 8090)
        let batchDelay = try environment.milliseconds("DEMO_BATCH_DELAY_MS", default: 0, in: 0...600_000)
        let registry = OperationsServer.bootstrapMetrics()

        let database = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        let consumer = ConsumerGroupService(
            configuration: group,
            redis: redis,
            handler: ProcessedEventsRecorder(group: group.group, database: database, batchDelay: batchDelay),
            logger: context.logger
        )
        try await OperationsServer.run(
            [consumer],
            router: OperationsServer.makeRouter(registry: registry, health: { await probe.report() }),
            host: address.host,
            port: address.port,
            logger: context.logger
        )
        await database.close()
    }
}
