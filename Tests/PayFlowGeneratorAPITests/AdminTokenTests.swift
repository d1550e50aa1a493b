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
            let expected: [HTTPResponse.Status] = [.ok, .ok, .ok, .ok, .created]
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

    @Test func tokenIsCheckedBeforeTheBodyIsRead() async throws {
        try await withGeneratorAPI(adminToken: Self.token) { _, client in
            let response = try await client.send(.put, "/v1/generator/config", json: "{not json")
            #expect(response.status == .unauthorized)
        }
    }
}
