import Foundation
import HTTPTypes
import OpenAPIRuntime

/// `{"error": {"message": ...}}`, the body of every error a PayFlow API
/// answers, for the errors raised below the generated handlers, where there
/// is no generated response type to fill in.
///
/// The shape is Hummingbird's `HTTPError` JSON, so errors from the router
/// middlewares (401, 413, 503) and from the OpenAPI layer (400, 415) look
/// alike, in the generator's API and in the analytics API.
public struct APIErrorBody: Encodable, Sendable {
    public struct Detail: Encodable, Sendable {
        public var message: String
    }

    public var error: Detail

    public init(message: String) {
        self.error = Detail(message: message)
    }

    /// A complete response for the OpenAPI transport.
    public static func response(status: HTTPResponse.Status, message: String) -> (HTTPResponse, HTTPBody?) {
        let data = (try? JSONEncoder().encode(APIErrorBody(message: message))) ?? Data(#"{"error":{"message":"error"}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return (HTTPResponse(status: status, headerFields: headers), HTTPBody(data))
    }
}
