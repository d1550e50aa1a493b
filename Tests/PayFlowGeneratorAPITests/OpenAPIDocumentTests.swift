import Foundation
import Hummingbird
import HummingbirdTesting
import PayFlowDomain
import PayFlowGenerator
import Testing

@Suite("GET /openapi.json")
struct OpenAPIDocumentTests {
    /// The document in the source tree, the one the generator plugin reads.
    static func sourceDocument() throws -> Data {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/PayFlowGeneratorAPI/openapi.json")
        return try Data(contentsOf: url)
    }

    static func servedDocument() async throws -> (Data, HTTPFields) {
        try await withGeneratorAPI { _, client in
            let response = try await client.send(.get, "/openapi.json")
            #expect(response.status == .ok)
            return (response.body, response.headers)
        }
    }

    @Test func servesTheDocumentTheServerWasGeneratedFrom() async throws {
        let (served, headers) = try await Self.servedDocument()
        #expect(served == (try Self.sourceDocument()))
        #expect(headers[.contentType]?.hasPrefix("application/json") == true)
    }

    @Test func isOpenAPI3AndListsEveryPathThePortServes() async throws {
        let (served, _) = try await Self.servedDocument()
        let document = try #require(try JSONSerialization.jsonObject(with: served) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(document["paths"] as? [String: Any])
        let served_: Set<String> = [
            "/health", "/metrics", "/openapi.json",
            "/v1/generator", "/v1/generator/config", "/v1/generator/start", "/v1/generator/stop",
            "/v1/scenarios", "/v1/scenarios/{name}", "/v1/events",
            "/v1/dead-letters", "/v1/dead-letters/{group}/replay",
        ]
        #expect(Set(paths.keys) == served_)
    }

    /// The closed lists in the document follow the domain's.
    @Test func enumerationsMatchTheDomain() async throws {
        let (served, _) = try await Self.servedDocument()
        let document = try #require(try JSONSerialization.jsonObject(with: served) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        #expect(schemas["CurrencyCode"]?["enum"] as? [String] == Currency.all.map(\.code))
        #expect(schemas["EventType"]?["enum"] as? [String] == EventType.allCases.map(\.rawValue))
        let mix = try #require(schemas["EventMix"]?["properties"] as? [String: Any])
        #expect(Set(mix.keys) == Set(EventType.allCases.map(\.rawValue)))
        let states = (schemas["GeneratorStatus"]?["properties"] as? [String: [String: Any]])?["state"]?["enum"] as? [String]
        #expect(states == ["stopped", "stopping", "running", "paused_for_lag"])
        let fraudWeights = try #require(schemas["FraudWeights"]?["properties"] as? [String: Any])
        #expect(Set(fraudWeights.keys) == Set(FraudPattern.allCases.map(\.scenarioName)))
        let inconsistencyWeights = try #require(schemas["InconsistencyWeights"]?["properties"] as? [String: Any])
        #expect(Set(inconsistencyWeights.keys) == Set(MismatchKind.injected.map(\.rawValue)))
    }

    /// Every free-text field of an event declares the limits the stream
    /// decoder applies (``EventTextLimits``): what the document promises is
    /// what REST and every consumer refuse.
    @Test func textFieldsDeclareTheDecodersLimits() async throws {
        let (served, _) = try await Self.servedDocument()
        let document = try #require(try JSONSerialization.jsonObject(with: served) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        let event = try #require(schemas["PaymentEvent"]?["properties"] as? [String: [String: Any]])
        let scenario = try #require(schemas["ScenarioParameters"]?["properties"] as? [String: [String: Any]])
        let noControlCharacters = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$"
        for (name, field) in [("account", event["account"]), ("merchant", event["merchant"]), ("device", event["device"]), ("scenario account", scenario["account"])] {
            #expect(field?["maxLength"] as? Int == EventTextLimits.maxIdentifierLength, "\(name)")
            #expect(field?["pattern"] as? String == noControlCharacters, "\(name)")
        }
        #expect(event["reason"]?["maxLength"] as? Int == EventTextLimits.maxReasonLength)
        #expect(event["reason"]?["pattern"] as? String == noControlCharacters)
        #expect(event["ip"]?["maxLength"] as? Int == EventTextLimits.maxIPLength)
    }

    /// The request objects reject unknown fields in the generated decoders.
    @Test func requestSchemasForbidAdditionalProperties() async throws {
        let (served, _) = try await Self.servedDocument()
        let document = try #require(try JSONSerialization.jsonObject(with: served) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        for name in ["GeneratorConfiguration", "EventMix", "ScenarioParameters"] {
            #expect(schemas[name]?["additionalProperties"] as? Bool == false, "\(name)")
        }
    }
}
