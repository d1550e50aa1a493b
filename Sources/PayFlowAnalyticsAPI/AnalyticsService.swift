import Logging
import PayFlowAnalytics
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// The analytics process as one object graph: the consumer group `analytics`
/// on the three business streams, recording exact aggregates, and the HTTP
/// API that serves them (`/v1/stats/...`, the dashboard, `/openapi.json`).
///
/// It lives beside the API rather than in `PayFlowAnalytics` because the
/// process is both; the consumer alone needs no HTTP. `payflow analytics`
/// runs what ``make(_:)`` returns, and so do the tests.
public enum AnalyticsService {
    public static let group = ConsumerGroupName.analytics
    public static let defaultPort = 8094

    /// Reads the settings, opens the connections and returns the process,
    /// ready to run.
    public static func make(_ context: ProcessContext) async throws -> PayFlowApplication {
        let environment = context.environment
        let streams = AnalyticsStreams.standard
        let group = try ConsumerGroupConfiguration(group: Self.group.name, streams: streams.all, environment: environment)
        let redis = try environment.redisConfiguration()
        let databaseURL = try environment.databaseURL()
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort, redis: redis, databaseURL: databaseURL)

        // The consumer's statements and the API's queries each get a session,
        // so a slow query never delays a batch (and its ack) or the reverse.
        let handlerDatabase = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        application.onClose { await handlerDatabase.close() }
        let queryDatabase = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        application.onClose { await queryDatabase.close() }
        // The dashboard's group backlog and detection scores: its own Redis connection.
        let platformRedis = RedisConnection(configuration: redis, logger: context.logger)
        application.onClose { await platformRedis.close() }

        let platform = AnalyticsAPI.PlatformSources(redis: platformRedis, database: queryDatabase, streams: StreamNames.business)
        try AnalyticsAPI(queries: AnalyticsQueries(database: queryDatabase), platform: platform, logger: context.logger)
            .register(on: application.router)
        application.workers = [
            ConsumerGroupService(
                configuration: group, redis: redis,
                handler: AnalyticsHandler(database: handlerDatabase, streams: streams),
                logger: context.logger
            ),
        ]
        return application
    }
}
