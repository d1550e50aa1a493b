import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime

/// Answers the failures of the generated OpenAPI layer with the API's JSON
/// error (``APIErrorBody``) instead of an empty 500, for both spec-first APIs.
///
/// swift-openapi-runtime wraps a request it cannot decode (a body that is not
/// valid JSON or has a wrong type or an unknown field, a query parameter that
/// is not a time or an integer) or an unexpected content type into a
/// `ServerError`, which Hummingbird would answer with an empty 500. Here a
/// request the client got wrong is answered with its 4xx status and a message
/// that names the offending field or parameter; anything else (a bug, the
/// database is down) is logged and answered 500 without details.
///
/// What the message can name depends on what the API reads, hence ``Input``:
/// the generator's API takes JSON bodies, the analytics API query parameters.
public struct APIErrorMiddleware: ServerMiddleware {
    /// What the API's operations read from a request.
    public enum Input: Sendable {
        /// JSON request bodies (the generator's API). The body is read before
        /// the operation sees it, so that a decoding failure can be told
        /// apart from invalid JSON; `RequestBodyLimitMiddleware` must bound it
        /// first. An empty body is passed on as no body.
        case jsonBody
        /// Query parameters only, GETs without a body (the analytics API).
        /// The body, if any, is passed on untouched.
        case query
    }

    let input: Input
    let logger: Logger

    /// - Parameters:
    ///   - input: What the API's operations read, which decides how a
    ///     failure to decode a request is described.
    ///   - logger: Where unexpected failures are reported.
    public init(reading input: Input, logger: Logger) {
        self.input = input
        self.logger = logger
    }

    public func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let bytes: [UInt8]?
        let forwarded: HTTPBody?
        switch self.input {
        case .jsonBody:
            bytes = try await Self.buffered(body)
            forwarded = Self.nilIfEmpty(bytes)
        case .query:
            bytes = nil
            forwarded = body
        }
        do {
            return try await next(request, forwarded, metadata)
        } catch let error as ServerError {
            if let (status, message) = self.clientError(error, body: bytes) {
                return APIErrorBody.response(status: status, message: message)
            }
            self.logger.error("\(operationID) failed", metadata: ["error": "\(error.underlyingError)"])
            return APIErrorBody.response(status: .internalServerError, message: "internal error in \(operationID)")
        }
    }

    /// The status and message for a request the client got wrong; nil when
    /// the failure is the server's own.
    func clientError(_ error: ServerError, body: [UInt8]?) -> (HTTPResponse.Status, String)? {
        switch self.input {
        case .jsonBody:
            if let decoding = error.underlyingError as? DecodingError {
                return (.badRequest, "invalid request body: \(Self.describe(decoding, body: body ?? []))")
            }
            if error.httpStatus.kind == .clientError {
                return (error.httpStatus, error.causeDescription)
            }
            return nil
        case .query:
            if error.httpStatus.kind == .clientError {
                return (error.httpStatus, Self.describeQueryError(error))
            }
            if error.underlyingError is DecodingError {
                return (.badRequest, Self.describeQueryError(error))
            }
            return nil
        }
    }

    // MARK: - Bodies

    /// The body as bytes already read. `RequestBodyLimitMiddleware` has
    /// collected it within its bound, so this copies at most that much.
    private static func buffered(_ body: HTTPBody?) async throws -> [UInt8]? {
        guard let body else { return nil }
        return try await [UInt8](collecting: body, upTo: .max)
    }

    /// An empty body is no body: the runtime would otherwise try to decode
    /// zero bytes as JSON for an optional body (`POST /v1/scenarios/{name}`
    /// without parameters), and report a missing required body clearly.
    private static func nilIfEmpty(_ bytes: [UInt8]?) -> HTTPBody? {
        guard let bytes, !bytes.isEmpty else { return nil }
        return HTTPBody(bytes)
    }
}
