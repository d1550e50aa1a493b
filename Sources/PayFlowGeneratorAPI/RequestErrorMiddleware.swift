import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime

/// Answers the failures of the generated OpenAPI layer with the API's JSON
/// error instead of an empty 500.
///
/// swift-openapi-runtime wraps a body that does not decode (invalid JSON, a
/// wrong type, an unknown field on an `additionalProperties: false` schema) or
/// an unexpected content type into a `ServerError`, which Hummingbird would
/// answer with an empty 500. Here a decoding failure becomes 400 with the
/// path of the offending field, another client error keeps its status (415,
/// ...), and anything else is logged and answered 500 without details.
struct RequestErrorMiddleware: ServerMiddleware {
    let logger: Logger

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let bytes = try await Self.buffered(body)
        do {
            return try await next(request, Self.nilIfEmpty(bytes), metadata)
        } catch let error as ServerError {
            if let decoding = error.underlyingError as? DecodingError {
                let message = Self.describe(decoding, body: bytes ?? [])
                return APIErrorBody.response(status: .badRequest, message: "invalid request body: \(message)")
            }
            if error.httpStatus.kind == .clientError {
                return APIErrorBody.response(status: error.httpStatus, message: error.causeDescription)
            }
            self.logger.error("\(operationID) failed", metadata: ["error": "\(error.underlyingError)"])
            return APIErrorBody.response(status: .internalServerError, message: "internal error in \(operationID)")
        }
    }

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

    // MARK: - Messages

    /// What is wrong, naming the field by its JSON path (`mix.payment`,
    /// `currencies[1]`).
    static func describe(_ error: DecodingError, body: [UInt8]) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            let expected = Self.typeName(type)
            return expected.hasPrefix("of type")
                ? "\(Self.subject(context.codingPath)): \(context.debugDescription)"
                : "\(Self.subject(context.codingPath)) must be \(expected)"
        case .valueNotFound(let type, let context):
            return "\(Self.subject(context.codingPath)) must be \(Self.typeName(type)), not null"
        case .keyNotFound(let key, let context):
            return "missing field '\(Self.path(context.codingPath + [key]))'"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                // Foundation reports a number that does not fit its Swift type
                // (12.5 or -1 for an integer, 2^64 for a seed) as invalid JSON
                // without a path; telling the two apart spares a puzzled client.
                guard (try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])) != nil else {
                    return "not valid JSON"
                }
                return "a number is not a valid integer for its field (fractional, negative, or too large)"
            }
            if context.debugDescription.hasPrefix("Additional properties are disabled") {
                return "unknown field '\(Self.path(context.codingPath))'"
            }
            return "\(Self.subject(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func subject(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "the body" : "field '\(Self.path(codingPath))'"
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    /// Plain JSON words for the Swift types the generated decoders ask for.
    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "of type \(type)"
        }
    }
}
