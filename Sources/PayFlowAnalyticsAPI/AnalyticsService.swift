import Logging
import PayFlowAnalytics
import PayFlowDomain
import PayFlowRuntime

/// The analytics process as one object graph: the consumer group `analytics`
/// on the three business streams, recording exact aggregates, the HTTP
/// API that serves them (`/v1/stats/...`, the dashboard, `/openapi.json`),
/// and the fraud precision gauge (``FraudPrecisionGauge``).
///
/// It lives beside the API rather than in `PayFlowAnalytics` because the
/// process is both; the consumer alone needs no HTTP. `payflow analytics`
/// runs what ``make(_:)`` returns, and so do the tests.
public enum AnalyticsService {
    public static let group = ConsumerGroupName.analytics
    public static let defaultPort = 8094
    /// Where the dashboard's controls reach the generator (`GENERATOR_URL`):
    /// `make run`'s generator; compose sets `http://generator:8080`.
    public static let defaultGeneratorURL = "http://127.0.0.1:8080"

    /// Reads the settings, opens the connections and returns the process,
    /// ready to run.
    public static func make(_ context: ProcessContext) async throws -> PayFlowApplication {
        let streams = AnalyticsStreams.standard
        let group = try ConsumerGroupConfiguration(group: Self.group.name, streams: streams.all, environment: context.environment)
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort)

        // The consumer's statements and the API's queries each get a session,
        // so a slow query never delays a batch (and its ack) or the reverse.
        application.addConsumerGroup(group, handler: AnalyticsHandler(database: try await application.connectDatabase(), streams: streams))
        let queryDatabase = try await application.connectDatabase()
        // The dashboard's group backlog and detection scores: a Redis client of its own.
        let platform = AnalyticsAPI.PlatformSources(redis: application.makeRedisClient(), database: queryDatabase, streams: StreamNames.business, shards: application.shards)
        let generatorURL = try context.environment.string("GENERATOR_URL", default: Self.defaultGeneratorURL)
        guard generatorURL.hasPrefix("http://") || generatorURL.hasPrefix("https://") else {
            throw ConfigurationError(variable: "GENERATOR_URL", problem: "must be an http:// or https:// URL, got '\(generatorURL)'")
        }
        let api = AnalyticsAPI(queries: AnalyticsQueries(database: queryDatabase), platform: platform, generatorURL: generatorURL, logger: context.logger)
        try api.register(on: application.router)
        application.onClose { await api.close() }
        if let feed = api.dashboardFeed {
            application.workers.append(feed)
        }
        // The precision gauge's joins on a session of their own (see FraudPrecisionGauge).
        let gauge = FraudPrecisionGauge(database: try await application.connectDatabase())
        application.workers.append(PeriodicTask(name: "Fraud precision gauge", interval: FraudPrecisionGauge.interval, logger: context.logger) {
            try await gauge.update()
        })
        return application
    }
}
