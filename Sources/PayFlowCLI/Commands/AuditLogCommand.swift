import ArgumentParser
import Logging
import PayFlowAuditLog
import PayFlowDomain
import PayFlowPostgres
import PayFlowRuntime

/// `payflow audit-log`: the `audit-log` consumer group on every PayFlow stream
/// (the dead-letter streams included), with `/health` and `/metrics` on
/// `HTTP_PORT` (8095).
struct AuditLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit-log",
        abstract: "Run the audit-log service (a hash-chained copy of every stream entry)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.audit-log")
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: "audit-log", streams: StreamNames.all, environment: environment)
        let redis = try environment.redisConfiguration()
        let address = try environment.httpAddress(defaultPort: 8095)
        let registry = OperationsServer.bootstrapMetrics()

        let databaseURL = try environment.databaseURL()
        let probe = HealthProbe(redis: redis, databaseURL: databaseURL, logger: context.logger)
        let database = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        let writer = AuditChainWriter(database: database, consumer: group.consumerName, logger: context.logger)
        context.logger.info("audit chain started", metadata: ["chain": "\(writer.chainID.uuidString.lowercased())"])
        let consumer = ConsumerGroupService(
            configuration: group,
            redis: redis,
            handler: AuditLogHandler(writer: writer),
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
