import ArgumentParser
import Logging
import PayFlowAnalytics
import PayFlowAnalyticsAPI
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// `payflow analytics`: the `analytics` consumer group on `payflow:events`,
/// `payflow:alerts` and `payflow:mismatches`, and its HTTP API, in one
/// process: `/v1/stats/...`, `/openapi.json`, `/health` and `/metrics`
/// (`payflow_analytics_facts_total{kind}`) on `HTTP_PORT` (8094).
struct AnalyticsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analytics",
        abstract: "Run the analytics service (exact aggregates of events, alerts and mismatches, with an HTTP API)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.analytics")
        let environment = context.environment
        let streams = AnalyticsStreams.standard
        let group = try ConsumerGroupConfiguration(group: "analytics", streams: streams.all, environment: environment)
        let redis = try environment.redisConfiguration()
        let databaseURL = try environment.databaseURL()
        let address = try environment.httpAddress(defaultPort: 8094)
        let registry = OperationsServer.bootstrapMetrics()

        // The consumer's statements and the API's queries each get a session,
        // so a slow query never delays a batch (and its ack) or the reverse.
        let handlerDatabase = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        let queryDatabase = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)

        let consumer = ConsumerGroupService(
            configuration: group,
            redis: redis,
            handler: AnalyticsHandler(database: handlerDatabase, streams: streams),
            logger: context.logger
        )
        let probe = HealthProbe(redis: redis, databaseURL: databaseURL, logger: context.logger)
        let router = OperationsServer.makeRouter(registry: registry, health: { await probe.report() })
        // The dashboard's group backlog and detection scores: its own Redis connection.
        let platformRedis = RedisConnection(configuration: redis, logger: context.logger)
        let platform = AnalyticsAPI.PlatformSources(
            redis: platformRedis, database: queryDatabase,
            streams: StreamNames.business
        )
        try AnalyticsAPI(queries: AnalyticsQueries(database: queryDatabase), platform: platform, logger: context.logger).register(on: router)
        try await OperationsServer.run([consumer], router: router, host: address.host, port: address.port, logger: context.logger)
        await platformRedis.close()
        await queryDatabase.close()
        await handlerDatabase.close()
    }
}
