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

    /// The runtime's cause ("Failed to decode query parameter named 'from'")
    /// and, when there is one, what the decoder said about the value.
    static func describe(_ error: ServerError) -> String {
        var message = error.causeDescription
        if case .dataCorrupted(let context)? = error.underlyingError as? DecodingError {
            message += ": \(context.debugDescription)"
        } else if let decoding = error.underlyingError as? DecodingError {
            message += ": \(decoding)"
        }
        return message
    }
}
