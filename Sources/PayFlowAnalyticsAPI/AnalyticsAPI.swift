import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import PayFlowAnalytics

/// The analytics HTTP API, for the `payflow analytics` command to put on the
/// router of `OperationsServer.makeRouter(registry:)`, so that one port serves
/// `/health`, `/metrics`, `/openapi.json` and `/v1/stats/...`.
///
/// Routes, query decoding and response encoding are generated from
/// `openapi.json` by swift-openapi-generator: the document and the server
/// cannot disagree, and `GET /openapi.json` serves that same file.
public struct AnalyticsAPI: Sendable {
    let queries: AnalyticsQueries
    let logger: Logger

    /// - Parameters:
    ///   - queries: The read side, on a PostgreSQL connection of its own (not
    ///     the consumer's), so API calls and batches never wait on each other.
    ///   - logger: Where unexpected failures are reported.
    public init(queries: AnalyticsQueries, logger: Logger) {
        self.queries = queries
        self.logger = logger
    }

    /// Adds `GET /openapi.json` and the `/v1/stats` endpoints to `router`.
    public func register<Context: RequestContext>(on router: Router<Context>) throws {
        let document = OpenAPIDocument.load()
        if document == nil {
            self.logger.error(
                "openapi.json is missing: deploy \(OpenAPIDocument.bundleName).resources beside the payflow binary; GET /openapi.json answers 503"
            )
        }
        router.get("/openapi.json") { _, _ -> Response in
            guard let document else {
                throw HTTPError(.serviceUnavailable, message: "the OpenAPI document was not deployed with this binary")
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: document))
            )
        }
        let handler = AnalyticsAPIHandler(queries: self.queries)
        try handler.registerHandlers(
            on: router,
            configuration: Configuration(dateTranscoder: RFC3339DateTranscoder()),
            middlewares: [QueryErrorMiddleware(logger: self.logger)]
        )
    }
}
