import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import PayFlowAnalytics
import PayFlowHTTP
import PayFlowPostgres
import PayFlowRedis

/// The analytics HTTP API, for the `payflow analytics` command to put on the
/// router of `OperationsServer.makeRouter(registry:)`, so that one port serves
/// `/health`, `/metrics`, `/openapi.json` and `/v1/stats/...`.
///
/// Routes, query decoding and response encoding are generated from
/// `openapi.json` by swift-openapi-generator: the document and the server
/// cannot disagree, and `GET /openapi.json` serves that same file.
public struct AnalyticsAPI: Sendable {
    let queries: AnalyticsQueries
    let platform: PlatformSources?
    let logger: Logger

    /// Where SwiftPM puts this target's resources (openapi.json).
    static let bundleName = "payflow_PayFlowAnalyticsAPI"

    /// Where the dashboard's platform-wide figures come from: consumer groups
    /// from Redis, detection scores from the reports' tables.
    public struct PlatformSources: Sendable {
        public var redis: RedisConnection
        public var database: PostgresConnection
        public var streams: [String]

        public init(redis: RedisConnection, database: PostgresConnection, streams: [String]) {
            self.redis = redis
            self.database = database
            self.streams = streams
        }
    }

    /// - Parameters:
    ///   - queries: The read side, on a PostgreSQL connection of its own (not
    ///     the consumer's), so API calls and batches never wait on each other.
    ///   - platform: For `/v1/stats/groups` and `/v1/stats/detection`; without
    ///     it they answer 503.
    ///   - logger: Where unexpected failures are reported.
    public init(queries: AnalyticsQueries, platform: PlatformSources? = nil, logger: Logger) {
        self.queries = queries
        self.platform = platform
        self.logger = logger
    }

    /// Adds `GET /openapi.json`, `GET /dashboard` and the `/v1/stats` endpoints to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) throws {
        router.addOpenAPIDocument(bundleName: Self.bundleName, logger: self.logger)
        router.get("/dashboard") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardPage.html))
            )
        }
        let handler = AnalyticsAPIHandler(queries: self.queries, platform: self.platform)
        try handler.registerHandlers(
            on: router,
            configuration: Configuration(dateTranscoder: RFC3339DateTranscoder()),
            middlewares: [APIErrorMiddleware(reading: .query, logger: self.logger)]
        )
    }
}
