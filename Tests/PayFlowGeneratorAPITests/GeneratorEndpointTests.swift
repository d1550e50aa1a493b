import Foundation
import Hummingbird
import HummingbirdTesting
import PayFlowDomain
import PayFlowGenerator
import Testing

@Suite("Generator endpoints: status, configuration, start and stop")
struct GeneratorEndpointTests {
    @Test func statusAnswersTheControlsStatusAsSnakeCaseJSON() async throws {
        try await withGeneratorAPI { control, client in
            let response = try await client.send(.get, "/v1/generator")
            #expect(response.status == .ok)
            let decoded = try JSONDecoder().decode(GeneratorStatus.self, from: response.body)
            #expect(decoded == (await control.status()))
            let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
            #expect(object["emitted_total"] as? Int == 9)
            #expect((object["emitted_by_type"] as? [String: Int])?["payment"] == 7)
            #expect(object["max_lag"] == nil)
        }
    }

    @Test func putConfigReplacesTheWholeConfiguration() async throws {
        try await withGeneratorAPI { control, client in
            let response = try await client.send(.put, "/v1/generator/config", json: fullConfigurationJSON)
            #expect(response.status == .ok)
            let expected = GeneratorConfiguration(
                eventsPerSecond: 250.5,
                totalEvents: 5000,
                durationSeconds: 60,
                mix: [.payment: 0.7, .refund: 0.1, .topup: 0.2, .accountBlocked: 0, .accountUnblocked: 0],
                accounts: 500,
                fraudRate: 0.01,
                inconsistencyRate: 0.002,
                seed: UInt64.max,
                currencies: [.eur, .jpy],
                startTime: EventTimestamp(rfc3339: "2026-11-25T00:00:00.5Z")
            )
            #expect(await control.configuration == expected)
            let status = try JSONDecoder().decode(GeneratorStatus.self, from: response.body)
            #expect(status.configuration == expected)
        }
    }

    @Test func leftOutOptionalFieldsMeanUnlimitedAndNoSeed() async throws {
        try await withGeneratorAPI { control, client in
            let json = #"{"mix": {"payment": 1}, "accounts": 10, "fraud_rate": 0, "inconsistency_rate": 0, "currencies": ["USD"]}"#
            let response = try await client.send(.put, "/v1/generator/config", json: json)
            #expect(response.status == .ok)
            let configuration = await control.configuration
            #expect(configuration.eventsPerSecond == nil)
            #expect(configuration.totalEvents == nil)
            #expect(configuration.durationSeconds == nil)
            #expect(configuration.seed == nil)
            #expect(configuration.startTime == nil)
            #expect(configuration.mix == [.payment: 1])
        }
    }

    /// One rejected PUT: what is sent, the status expected and a piece of the
    /// message that says what was wrong.
    struct RejectedConfiguration: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var contentType = "application/json"
        var status: HTTPResponse.Status
        var message: String

        var testDescription: String { self.name }
    }

    static let rejectedConfigurations: [RejectedConfiguration] = [
        .init(name: "wrong type", body: replacing("\"accounts\": 500", with: "\"accounts\": \"many\""), status: .badRequest, message: "field 'accounts' must be an integer"),
        .init(name: "fractional integer", body: replacing("\"accounts\": 500", with: "\"accounts\": 12.5"), status: .badRequest, message: "not a valid integer"),
        .init(name: "negative rate", body: replacing("250.5", with: "-5"), status: .unprocessableContent, message: "events_per_second: must be > 0"),
        .init(
            name: "weights summing to zero",
            body: replacing("\"payment\": 0.7, \"refund\": 0.1, \"topup\": 0.2", with: "\"payment\": 0, \"refund\": 0, \"topup\": 0"),
            status: .unprocessableContent,
            message: "mix: weights must not sum to zero"
        ),
        .init(name: "negative weight", body: replacing("\"refund\": 0.1", with: "\"refund\": -1"), status: .unprocessableContent, message: "mix.refund"),
        .init(name: "rate above one", body: replacing("\"fraud_rate\": 0.01", with: "\"fraud_rate\": 2"), status: .unprocessableContent, message: "fraud_rate: must be between 0 and 1"),
        .init(name: "unknown field", body: replacing("\"accounts\": 500", with: "\"accounts\": 500, \"colour\": \"blue\""), status: .badRequest, message: "unknown field 'colour'"),
        .init(name: "unknown event type in mix", body: replacing("\"topup\": 0.2", with: "\"topup\": 0.2, \"chargeback\": 1"), status: .badRequest, message: "unknown field 'mix.chargeback'"),
        .init(name: "missing required field", body: replacing("\"accounts\": 500,", with: ""), status: .badRequest, message: "missing field 'accounts'"),
        .init(name: "unknown currency", body: replacing("\"JPY\"", with: "\"XYZ\""), status: .badRequest, message: "currencies[1]"),
        .init(name: "no currency", body: replacing("[\"EUR\", \"JPY\"]", with: "[]"), status: .unprocessableContent, message: "currencies: must name at least one currency"),
        .init(name: "start time not RFC 3339", body: replacing("2026-11-25T00:00:00.500000Z", with: "yesterday"), status: .unprocessableContent, message: "start_time"),
        .init(name: "negative seed", body: replacing("18446744073709551615", with: "-1"), status: .badRequest, message: "not a valid integer"),
        .init(name: "invalid JSON", body: "{\"accounts\": ", status: .badRequest, message: "not valid JSON"),
        .init(name: "seed above 2^64", body: replacing("18446744073709551615", with: "18446744073709551616"), status: .badRequest, message: "not a valid integer"),
        .init(name: "array instead of object", body: "[1, 2]", status: .badRequest, message: "invalid request body"),
        .init(name: "empty body", body: "", status: .badRequest, message: "body"),
        .init(name: "wrong content type", body: fullConfigurationJSON, contentType: "text/plain", status: .unsupportedMediaType, message: "content type"),
        .init(
            name: "body over 64 KiB",
            body: replacing("\"accounts\": 500", with: "\"accounts\": 500, \"padding\": \"\(String(repeating: "x", count: 70_000))\""),
            status: .contentTooLarge,
            message: "larger than 65536 bytes"
        ),
    ]

    private static func replacing(_ target: String, with replacement: String) -> String {
        precondition(fullConfigurationJSON.contains(target), "fixture does not contain \(target)")
        return fullConfigurationJSON.replacingOccurrences(of: target, with: replacement)
    }

    @Test(arguments: Self.rejectedConfigurations)
    func rejectedConfigurationAnswersItsErrorAndKeepsThePreviousOne(_ rejected: RejectedConfiguration) async throws {
        try await withGeneratorAPI { control, client in
            let before = await control.configuration
            let response = try await client.send(.put, "/v1/generator/config", json: rejected.body, contentType: rejected.contentType)
            #expect(response.status == rejected.status)
            let message = errorMessage(response.body)
            #expect(message.lowercased().contains(rejected.message.lowercased()), "message: \(message)")
            #expect(await control.configuration == before)
        }
    }

    @Test func startingARunningGeneratorIsAConflict() async throws {
        try await withGeneratorAPI { _, client in
            let started = try await client.send(.post, "/v1/generator/start")
            #expect(started.status == .ok)
            #expect(try JSONDecoder().decode(GeneratorStatus.self, from: started.body).state == .running)

            let again = try await client.send(.post, "/v1/generator/start")
            #expect(again.status == .conflict)
            #expect(errorMessage(again.body) == GeneratorControlError.alreadyRunning.description)

            let stopped = try await client.send(.post, "/v1/generator/stop")
            #expect(stopped.status == .ok)
            #expect(try JSONDecoder().decode(GeneratorStatus.self, from: stopped.body).state == .stopped)

            let stoppedAgain = try await client.send(.post, "/v1/generator/stop")
            #expect(stoppedAgain.status == .ok)
        }
    }
}
