import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PayFlowGeneratorAPI
import PayFlowRuntime
import Testing

/// The router a test talks to: only the generator API, on an in-memory control.
@discardableResult
func withGeneratorAPI<Value: Sendable>(
    adminToken: String? = nil,
    requiresToken: Bool = false,
    control: InMemoryGeneratorControl = InMemoryGeneratorControl(),
    deadLetters: DeadLetterStreams? = nil,
    _ body: @escaping @Sendable (InMemoryGeneratorControl, any TestClientProtocol) async throws -> Value
) async throws -> Value {
    let router = Router()
    let api = GeneratorAPI(
        control: control, deadLetters: deadLetters, adminToken: adminToken, requiresToken: requiresToken, logger: Logger(label: "test.generator-api")
    )
    try api.register(on: router)
    let app = Application(router: router)
    return try await app.test(.router) { client in
        try await body(control, client)
    }
}

extension TestClientProtocol {
    /// Sends `json` (raw text, so tests can send broken JSON) and returns
    /// status and body.
    @discardableResult
    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        json: String? = nil,
        contentType: String = "application/json",
        token: String? = nil
    ) async throws -> (status: HTTPResponse.Status, body: Data, headers: HTTPFields) {
        var headers = HTTPFields()
        if json != nil { headers[.contentType] = contentType }
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await self.execute(
            uri: uri,
            method: method,
            headers: headers,
            body: json.map { ByteBuffer(string: $0) }
        ) { response in
            (response.status, Data(buffer: response.body), response.headers)
        }
    }
}

/// `{"error": {"message": ...}}`, the shape every error must have.
struct ErrorBody: Decodable {
    struct Detail: Decodable {
        var message: String
    }

    var error: Detail
}

/// The message of an error answer; records a failure when the body does not
/// have the error shape.
func errorMessage(_ body: Data, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    do {
        return try JSONDecoder().decode(ErrorBody.self, from: body).error.message
    } catch {
        Issue.record("not the JSON error shape: \(String(decoding: body, as: UTF8.self))", sourceLocation: sourceLocation)
        return ""
    }
}

/// A configuration document with every field, as a client would PUT it.
let fullConfigurationJSON = """
    {
      "events_per_second": 250.5,
      "total_events": 5000,
      "duration_seconds": 60,
      "mix": {"payment": 0.7, "refund": 0.1, "topup": 0.2, "account_blocked": 0, "account_unblocked": 0},
      "accounts": 500,
      "fraud_rate": 0.01,
      "inconsistency_rate": 0.002,
      "seed": 18446744073709551615,
      "currencies": ["EUR", "JPY"],
      "start_time": "2026-11-25T00:00:00.500000Z"
    }
    """
