import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import PayFlowAnalytics
import PayFlowHTTP
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

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
    /// The dashboard's live updates; nil without platform sources.
    let feed: DashboardFeed?
    let generatorProxy: GeneratorProxy?

    /// Where SwiftPM puts this target's resources (openapi.json).
    static let bundleName = "payflow_PayFlowAnalyticsAPI"

    /// Where the dashboard's platform-wide figures come from: consumer groups
    /// from Redis, detection scores from the reports' tables.
    public struct PlatformSources: Sendable {
        /// One Redis or a cluster: each stream read where it lives.
        public var redis: any RedisClient
        public var database: PostgresConnection
        /// Unsharded names (`payflow:events`).
        public var streams: [String]
        /// `EVENT_SHARDS`: the figures are summed over every shard's streams.
        public var shards: StreamShards

        public init(redis: any RedisClient, database: PostgresConnection, streams: [String], shards: StreamShards = .unsharded) {
            self.redis = redis
            self.database = database
            self.streams = streams
            self.shards = shards
        }

        /// The streams and their groups now, one row per unsharded stream.
        func snapshot() async throws -> StreamsSnapshot {
            try await StreamsSnapshot.read(redis: self.redis, shards: self.shards, streams: self.streams, deadLetterStreams: []).summedOverShards()
        }
    }

    /// - Parameters:
    ///   - queries: The read side, on a PostgreSQL connection of its own (not
    ///     the consumer's), so API calls and batches never wait on each other.
    ///   - platform: For `/v1/stats/groups` and `/v1/stats/detection`; without
    ///     it they answer 503.
    ///   - generatorURL: Where `/generator/...` is passed through to (the
    ///     dashboard's controls); nil: no pass-through.
    ///   - logger: Where unexpected failures are reported.
    public init(queries: AnalyticsQueries, platform: PlatformSources? = nil, generatorURL: String? = nil, logger: Logger) {
        self.queries = queries
        self.platform = platform
        self.logger = logger
        let handler = AnalyticsAPIHandler(queries: queries, platform: platform)
        self.feed = platform.map { DashboardFeed(handler: handler, platform: $0, logger: logger) }
        self.generatorProxy = generatorURL.map { GeneratorProxy(base: $0, client: GeneratorProxy.makeClient(), logger: logger) }
    }

    /// Releases the pass-through's HTTP client; after the server has stopped.
    public func close() async {
        try? await self.generatorProxy?.client.shutdown()
    }

    /// The producer of the dashboard's live updates, for the process to run
    /// among its workers; nil without platform sources.
    public var dashboardFeed: DashboardFeed? {
        self.feed
    }

    /// Adds `GET /openapi.json`, the dashboard (`/` and `/dashboard`, its
    /// event stream `/dashboard/events`), the pass-through `/generator/...`
    /// and the `/v1/stats` endpoints to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) throws {
        router.addOpenAPIDocument(bundleName: Self.bundleName, logger: self.logger)
        // At `/` too: a new user opens the port and expects the page there.
        for path in ["/", "/dashboard"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardPage.html))
                )
            }
        }
        if let feed = self.feed {
            router.get("/dashboard/events") { _, _ -> Response in
                guard let subscription = feed.subscribe() else {
                    throw HTTPError(.serviceUnavailable, message: "too many dashboards open (\(DashboardFeed.maxSubscribers)); close one")
                }
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                    body: ResponseBody { writer in
                        // A page that went away fails the next write (two
                        // seconds at most): its stream is dropped then.
                        defer { feed.unsubscribe(subscription.id) }
                        for await message in subscription.messages {
                            try await writer.write(message)
                        }
                        try await writer.finish(nil)
                    }
                )
            }
        }
        self.generatorProxy?.register(on: router)
        let handler = AnalyticsAPIHandler(queries: self.queries, platform: self.platform)
        try handler.registerHandlers(
            on: router,
            configuration: Configuration(dateTranscoder: RFC3339DateTranscoder()),
            middlewares: [APIErrorMiddleware(reading: .query, logger: self.logger)]
        )
    }
}
