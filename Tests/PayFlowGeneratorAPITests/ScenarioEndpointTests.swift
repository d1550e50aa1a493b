import Foundation
import Hummingbird
import HummingbirdTesting
import PayFlowDomain
import PayFlowGenerator
import Testing

@Suite("Scenario endpoints")
struct ScenarioEndpointTests {
    struct Listed: Decodable {
        struct Scenario: Decodable {
            var name: String
            var description: String
        }

        var scenarios: [Scenario]
    }

    struct Run: Decodable {
        var scenario: String
        var events: [[String: JSONValue]]
    }

    @Test func listNamesEveryScenarioWithADescription() async throws {
        try await withGeneratorAPI { _, client in
            let response = try await client.send(.get, "/v1/scenarios")
            #expect(response.status == .ok)
            let listed = try JSONDecoder().decode(Listed.self, from: response.body)
            #expect(listed.scenarios.map(\.name) == FraudPattern.allCases.map(\.scenarioName))
            for scenario in listed.scenarios {
                #expect(!scenario.description.isEmpty)
                #expect(!scenario.description.contains("\n"))
            }
        }
    }

    @Test func runPassesTheParametersAndAnswersTheEmittedEvents() async throws {
        try await withGeneratorAPI { control, client in
            let json = #"{"account": "\#(InMemoryGeneratorControl.knownAccount)", "count": 3}"#
            let response = try await client.send(.post, "/v1/scenarios/velocity_burst", json: json)
            #expect(response.status == .ok)
            let run = try JSONDecoder().decode(Run.self, from: response.body)
            #expect(run.scenario == "velocity_burst")
            #expect(run.events.count == 3)
            #expect(run.events.first?["amount"] == .integer(100))
            #expect(run.events.first?["type"] == .string("payment"))
            #expect(run.events.first?["schema_version"] == .string("1"))
            let runs = await control.scenarioRuns
            #expect(runs.count == 1)
            #expect(runs.first?.0 == .velocityBurst)
            #expect(runs.first?.1 == ScenarioParameters(account: InMemoryGeneratorControl.knownAccount, count: 3))
        }
    }

    @Test func runWithoutABodyUsesDefaults() async throws {
        try await withGeneratorAPI { control, client in
            let response = try await client.send(.post, "/v1/scenarios/card_testing")
            #expect(response.status == .ok)
            #expect(await control.scenarioRuns.first?.1 == ScenarioParameters())
        }
    }

    @Test func unknownScenarioIsNotFound() async throws {
        try await withGeneratorAPI { control, client in
            let response = try await client.send(.post, "/v1/scenarios/bank_heist")
            #expect(response.status == .notFound)
            #expect(errorMessage(response.body).contains("unknown scenario 'bank_heist'"))
            #expect(await control.scenarioRuns.isEmpty)
        }
    }

    @Test func unknownAccountIsUnprocessable() async throws {
        try await withGeneratorAPI { _, client in
            let response = try await client.send(.post, "/v1/scenarios/amount_spike", json: #"{"account": "acc-nobody"}"#)
            #expect(response.status == .unprocessableContent)
            #expect(errorMessage(response.body) == "unknown account 'acc-nobody'")
        }
    }

    @Test func invalidParameterIsUnprocessable() async throws {
        try await withGeneratorAPI { _, client in
            let response = try await client.send(.post, "/v1/scenarios/card_testing", json: #"{"count": 0}"#)
            #expect(response.status == .unprocessableContent)
            #expect(errorMessage(response.body) == "count must be at least 1, got 0")
        }
    }

    @Test func unavailableBackingStoreIsServiceUnavailable() async throws {
        try await withGeneratorAPI { control, client in
            await control.failScenarios(with: .unavailable("redis: connection refused"))
            let response = try await client.send(.post, "/v1/scenarios/topup_drain")
            #expect(response.status == .serviceUnavailable)
            #expect(errorMessage(response.body).contains("redis: connection refused"))
        }
    }

    @Test func unknownParameterIsABadRequest() async throws {
        try await withGeneratorAPI { control, client in
            let response = try await client.send(.post, "/v1/scenarios/card_testing", json: #"{"count": 2, "speed": "fast"}"#)
            #expect(response.status == .badRequest)
            #expect(errorMessage(response.body).contains("unknown field 'speed'"))
            #expect(await control.scenarioRuns.isEmpty)
        }
    }

    @Test func wrongParameterTypeIsABadRequest() async throws {
        try await withGeneratorAPI { _, client in
            let response = try await client.send(.post, "/v1/scenarios/card_testing", json: #"{"count": "two"}"#)
            #expect(response.status == .badRequest)
            #expect(errorMessage(response.body).contains("field 'count' must be an integer"))
        }
    }
}

/// Just enough JSON to compare answered values with their JSON types.
enum JSONValue: Decodable, Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .other
        }
    }
}
