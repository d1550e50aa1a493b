import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import PayFlowGenerator
import PayFlowHTTP
import PayFlowRuntime

/// The generator's REST API, for the `payflow generator` command to put on
/// the router of `OperationsServer.makeRouter(registry:)`, so that one port
/// serves `/health`, `/metrics`, `/openapi.json` and `/v1/...`.
///
/// The routes, request decoding and response encoding are generated from
/// `openapi.json` by swift-openapi-generator: the document and the server
/// cannot disagree, and `GET /openapi.json` serves that same file.
public struct GeneratorAPI: Sendable {
    /// Request bodies past this are refused with 413; the largest legitimate
    /// body (a configuration) is well under 1 KiB.
    public static let maxRequestBodyBytes = 64 * 1024

    /// Where SwiftPM puts this target's resources (openapi.json).
    static let bundleName = "payflow_PayFlowGeneratorAPI"

    let control: any GeneratorControl
    let deadLetters: DeadLetterStreams?
    let adminToken: String?
    let requiresToken: Bool
    let logger: Logger

    /// - Parameters:
    ///   - control: The generator the endpoints drive.
    ///   - deadLetters: The dead-letter streams `/v1/dead-letters` shows and
    ///     replays; nil answers those endpoints 503.
    ///   - adminToken: When set (from `ADMIN_TOKEN`), every PUT and POST needs
    ///     `Authorization: Bearer <adminToken>`; GETs stay open. An empty
    ///     string counts as unset, so `ADMIN_TOKEN=` cannot mean "the empty
    ///     token".
    ///   - requiresToken: With no `adminToken`, refuse every PUT and POST
    ///     (what the `payflow generator` process does) instead of leaving them
    ///     open (what in-process tests of the endpoints want).
    ///   - logger: Where unexpected failures are reported.
    public init(
        control: any GeneratorControl, deadLetters: DeadLetterStreams? = nil, adminToken: String?, requiresToken: Bool = false, logger: Logger
    ) {
        self.control = control
        self.deadLetters = deadLetters
        self.adminToken = adminToken.flatMap { $0.isEmpty ? nil : $0 }
        self.requiresToken = requiresToken
        self.logger = logger
    }

    /// Adds `GET /openapi.json` and the `/v1` endpoints to `router`.
    ///
    /// The token check and the body limit are middlewares of a router group,
    /// so they cover these endpoints only, not `/health` and `/metrics`.
    public func register<Context: RequestContext>(on router: Router<Context>) throws {
        router.addOpenAPIDocument(bundleName: Self.bundleName, logger: self.logger)

        let group = router.group()
        if self.adminToken != nil || self.requiresToken {
            group.add(middleware: AdminTokenMiddleware<Context>(token: self.adminToken))
        }
        group.add(middleware: RequestBodyLimitMiddleware<Context>(maxBytes: Self.maxRequestBodyBytes))
        let handler = GeneratorAPIHandler(control: self.control, deadLetters: self.deadLetters, logger: self.logger)
        try handler.registerHandlers(on: group, middlewares: [APIErrorMiddleware(reading: .jsonBody, logger: self.logger)])
    }
}
