import Foundation
import Hummingbird
import HummingbirdTesting
import PayFlowGenerator
import Testing

@Suite("ADMIN_TOKEN on mutating endpoints")
struct AdminTokenTests {
    static let token = "s3cret-token"

    /// Every mutating endpoint, with a body it would accept.
    static let mutating: [(method: HTTPRequest.Method, uri: String, json: String?)] = [
        (.put, "/v1/generator/config", fullConfigurationJSON),
        (.post, "/v1/generator/start", nil),
        (.post, "/v1/generator/stop", nil),
        (.post, "/v1/scenarios/velocity_burst", nil),
        (.post, "/v1/events", EventInjectionTests.body(EventInjectionTests.payment)),
        (.post, "/v1/dead-letters/notification/replay", nil),
    ]

    @Test func mutatingEndpointsWithoutATokenAreUnauthorized() async throws {
        try await withGeneratorAPI(adminToken: Self.token) { control, client in
            for endpoint in Self.mutating {
                let response = try await client.send(endpoint.method, endpoint.uri, json: endpoint.json)
                #expect(response.status == .unauthorized, "\(endpoint.method) \(endpoint.uri)")
                #expect(errorMessage(response.body).contains("Authorization"))
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            #expect(await control.state == .stopped)
            #expect(await control.injected.isEmpty)
            #expect(await control.scenarioRuns.isEmpty)
        }
    }

    @Test func mutatingEndpointsWithAWrongTokenAreUnauthorized() async throws {
        try await withGeneratorAPI(adminToken: Self.token) { control, client in
            for wrong in ["s3cret-toke", "s3cret-token2", "", "S3CRET-TOKEN"] {
                for endpoint in Self.mutating {
                    let response = try await client.send(endpoint.method, endpoint.uri, json: endpoint.json, token: wrong)
                    #expect(response.status == .unauthorized, "\(endpoint.method) \(endpoint.uri) with '\(wrong)'")
                    _ = errorMessage(response.body)
                }
            }
            #expect(await control.configuration == GeneratorConfiguration())
        }
    }

    @Test func mutatingEndpointsWithTheTokenWork() async throws {
        try await withGeneratorAPI(adminToken: Self.token) { _, client in
            // The in-memory API has no Redis for dead letters: 503, past the token.
            let expected: [HTTPResponse.Status] = [.ok, .ok, .ok, .ok, .created, .serviceUnavailable]
            for (endpoint, status) in zip(Self.mutating, expected) {
                let response = try await client.send(endpoint.method, endpoint.uri, json: endpoint.json, token: Self.token)
                #expect(response.status == status, "\(endpoint.method) \(endpoint.uri)")
            }
        }
    }

    @Test func readsNeedNoToken() async throws {
        try await withGeneratorAPI(adminToken: Self.token) { _, client in
            for uri in ["/v1/generator", "/v1/scenarios", "/openapi.json"] {
                let response = try await client.send(.get, uri)
                #expect(response.status == .ok, "GET \(uri)")
            }
        }
    }

    @Test func withoutATokenConfiguredNothingIsAsked() async throws {
        try await withGeneratorAPI(adminToken: nil) { _, client in
            let response = try await client.send(.post, "/v1/generator/start")
            #expect(response.status == .ok)
        }
        // `ADMIN_TOKEN=` (empty) is no token, not the empty token.
        try await withGeneratorAPI(adminToken: "") { _, client in
            let response = try await client.send(.post, "/v1/generator/start")
            #expect(response.status == .ok)
        }
    }

    /// The `payflow generator` process (``GeneratorService``) requires a token:
    /// started without `ADMIN_TOKEN` (or with an empty one), it refuses every
    /// mutating request rather than leaving them open.
    @Test func aProcessWithoutATokenRefusesEveryMutatingRequest() async throws {
        for unset in [nil, ""] as [String?] {
            try await withGeneratorAPI(adminToken: unset, requiresToken: true) { control, client in
                for endpoint in Self.mutating {
                    for token in [nil, "", Self.token] as [String?] {
                        let response = try await client.send(endpoint.method, endpoint.uri, json: endpoint.json, token: token)
                        #expect(response.status == .unauthorized, "\(endpoint.method) \(endpoint.uri)")
                        #expect(errorMessage(response.body).contains("ADMIN_TOKEN is not set"))
                    }
                }
                #expect(await control.state == .stopped)
                #expect(await control.injected.isEmpty)
                #expect(await control.scenarioRuns.isEmpty)
                let read = try await client.send(.get, "/v1/generator")
                #expect(read.status == .ok)
            }
        }
    }

    /// Every PUT and POST of the OpenAPI document is in ``mutating``, so an
    /// endpoint added later is tried by the tests above, not left unchecked.
    @Test func everyMutatingOperationOfTheDocumentIsChecked() throws {
        let document = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/PayFlowGeneratorAPI/openapi.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: document)) as? [String: Any])
        let paths = try #require(json["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in operations.keys where !["get", "head", "options", "parameters"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let checked = Set(Self.mutating.map { endpoint in
            "\(endpoint.method.rawValue) " + endpoint.uri
                .replacingOccurrences(of: "/v1/scenarios/velocity_burst", with: "/v1/scenarios/{name}")
                .replacingOccurrences(of: "/v1/dead-letters/notification/", with: "/v1/dead-letters/{group}/")
        })
        #expect(documented == checked)
    }

    @Test func tokenIsCheckedBeforeTheBodyIsRead() async throws {
        try await withGeneratorAPI(adminToken: Self.token) { _, client in
            let response = try await client.send(.put, "/v1/generator/config", json: "{not json")
            #expect(response.status == .unauthorized)
        }
    }
}
