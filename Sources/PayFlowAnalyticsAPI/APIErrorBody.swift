import Foundation
import HTTPTypes
import OpenAPIRuntime

/// `{"error": {"message": ...}}`, the body of every error this API answers,
/// for the errors raised below the generated handlers, where there is no
/// generated response type to fill in. Hummingbird's `HTTPError` JSON shape,
/// the same as the generator API's.
struct APIErrorBody: Encodable {
    struct Detail: Encodable {
        var message: String
    }

    var error: Detail

    init(message: String) {
        self.error = Detail(message: message)
    }

    /// A complete response for the OpenAPI transport.
    static func response(status: HTTPResponse.Status, message: String) -> (HTTPResponse, HTTPBody?) {
        let data = (try? JSONEncoder().encode(APIErrorBody(message: message))) ?? Data(#"{"error":{"message":"error"}}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return (HTTPResponse(status: status, headerFields: headers), HTTPBody(data))
    }
}
