import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Messages for a query parameter that did not decode (``APIErrorMiddleware/Input/query``).
extension APIErrorMiddleware {
    /// What was wrong, in the API's words. The runtime's own description
    /// ("An error occurred while attempting to parse the request: ...") does
    /// not name the parameter, so the parameter is found in the request's
    /// query: the one whose value the decoder quotes, or, for a missing value,
    /// said to be missing.
    static func describeQueryError(_ error: ServerError) -> String {
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
