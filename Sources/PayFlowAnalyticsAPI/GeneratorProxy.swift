import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `/generator/...` on the analytics port, passed through to the generator's
/// REST API (`GENERATOR_URL`): the dashboard's controls panel calls the
/// generator from the page's own origin.
///
/// Why a pass-through rather than CORS on the generator: the user opens one
/// port (behind a firewall, through one SSH tunnel), and the browser never
/// needs the generator's address, which inside compose is `generator:8080`.
/// It forwards the method, the body, `Content-Type` and `Authorization` (the
/// admin token the page holds), and answers the generator's status and body
/// unchanged, so the page shows the API's own error messages. It adds no
/// authority: every mutation still needs the generator's `ADMIN_TOKEN`.
struct GeneratorProxy: Sendable {
    /// `GENERATOR_URL` without a trailing slash.
    let base: String
    let client: HTTPClient
    let logger: Logger

    static let prefix = "/generator"
    /// The generator's own limit on request bodies is far smaller.
    static let maxRequestBody = 1 << 20
    /// A scenario's events or a status; a larger answer is not the generator's.
    static let maxResponseBody = 16 << 20
    static let timeout: TimeAmount = .seconds(30)

    init(base: String, client: HTTPClient, logger: Logger) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.client = client
        self.logger = logger
    }

    /// A client that fails at once when the generator is not there: by
    /// default AsyncHTTPClient retries a refused connection until the
    /// request's deadline, which kept the page waiting 30 s (and the
    /// analytics process from stopping) whenever the generator was down.
    /// Whoever makes it shuts it down (``AnalyticsAPI/close()``).
    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(3), read: Self.timeout))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func register<Context: RequestContext>(on router: Router<Context>) {
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            router.on("\(Self.prefix)/**", method: method) { request, _ in
                try await self.forward(request)
            }
        }
    }

    func forward(_ request: Request) async throws -> Response {
        let path = String(request.uri.path.dropFirst(Self.prefix.count))
        let query = request.uri.query.map { "?\($0)" } ?? ""
        var outbound = HTTPClientRequest(url: self.base + path + query)
        outbound.method = .RAW(value: request.method.rawValue)
        for name in [HTTPField.Name.contentType, .authorization, .accept] {
            if let value = request.headers[name] {
                outbound.headers.add(name: name.canonicalName, value: value)
            }
        }
        let body = try await request.body.collect(upTo: Self.maxRequestBody)
        if body.readableBytes > 0 || request.method == .post || request.method == .put {
            outbound.body = .bytes(body)
        }
        let response: HTTPClientResponse
        let answer: ByteBuffer
        do {
            response = try await self.client.execute(outbound, timeout: Self.timeout)
            answer = try await response.body.collect(upTo: Self.maxResponseBody)
        } catch {
            self.logger.warning("The generator did not answer the dashboard", metadata: ["url": "\(self.base)", "error": "\(error)"])
            throw HTTPError(.badGateway, message: "the generator at \(self.base) (GENERATOR_URL) did not answer: \(error)")
        }
        var headers = HTTPFields()
        if let contentType = response.headers.first(name: "content-type") {
            headers[.contentType] = contentType
        }
        headers[.cacheControl] = "no-store"
        return Response(status: .init(code: Int(response.status.code)), headers: headers, body: .init(byteBuffer: answer))
    }
}
