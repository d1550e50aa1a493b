import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime

/// Answers the failures of the generated OpenAPI layer with the API's JSON
/// error instead of an empty 500.
///
/// swift-openapi-runtime reports a query parameter it cannot decode (an
/// unknown `bucket`, a `from` that is not a time, a `limit` that is not an
/// integer) as a `ServerError` that Hummingbird would answer with an empty
/// 500. Here a client error keeps its status (400) with the runtime's
/// description, which names the parameter; anything else (the database is
/// down) is logged and answered 500 without details.
///
/// The same shape as the generator API's `RequestErrorMiddleware`, without
/// its request-body handling: this API has GETs only. The two cannot share
/// one type in `PayFlowRuntime`, which does not depend on OpenAPIRuntime.
struct QueryErrorMiddleware: ServerMiddleware {
    let logger: Logger

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, metadata)
        } catch let error as ServerError {
            if error.httpStatus.kind == .clientError {
                return APIErrorBody.response(status: error.httpStatus, message: Self.describe(error))
            }
            if error.underlyingError is DecodingError {
                return APIErrorBody.response(status: .badRequest, message: Self.describe(error))
            }
            self.logger.error("\(operationID) failed", metadata: ["error": "\(error.underlyingError)"])
            return APIErrorBody.response(status: .internalServerError, message: "internal error in \(operationID)")
        }
    }

    /// What was wrong, in the API's words. The runtime's own description
    /// ("An error occurred while attempting to parse the request: ...") does
    /// not name the parameter, so the parameter is found in the request's
    /// query: the one whose value the decoder quotes, or, for a missing value,
    /// said to be missing.
    static func describe(_ error: ServerError) -> String {
        let query = Self.queryItems(of: error.request)
        switch error.underlyingError as? DecodingError {
        case .dataCorrupted(let context)?:
            // Quoted first (the time transcoder quotes the value, and its
            // message has an example time that could match another value).
            let text = context.debugDescription
            let named = query.first { !$0.value.isEmpty && text.contains("'\($0.value)'") }
                ?? query.filter { !$0.value.isEmpty && text.contains($0.value) }.max { $0.value.count < $1.value.count }
            return named.map { "\($0.name): \(context.debugDescription)" } ?? "invalid query parameter: \(context.debugDescription)"
        case .typeMismatch(let type, _)?:
            let named = query.first { item in Int(item.value) == nil && ["limit"].contains(item.name) }
            let expected = type == Int.self ? "an integer" : "of type \(type)"
            return named.map { "\($0.name): must be \(expected), got '\($0.value)'" } ?? "invalid query parameter: must be \(expected)"
        case .valueNotFound(let type, _)?:
            return "a required query parameter (\(type == Date.self ? "an RFC 3339 time" : "\(type)")) is missing; given: \(query.map(\.name).joined(separator: ", "))"
        default:
            return error.causeDescription
        }
    }

    /// The request's query as name/value pairs, percent-decoded.
    static func queryItems(of request: HTTPRequest) -> [(name: String, value: String)] {
        guard let path = request.path, let components = URLComponents(string: path) else { return [] }
        return (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }
    }
}
