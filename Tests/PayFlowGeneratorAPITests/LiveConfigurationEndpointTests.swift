import Foundation
import Hummingbird
import HummingbirdTesting
import PayFlowDomain
import PayFlowGenerator
import Testing

/// The issue 16 fields of `PUT /v1/generator/config` and `POST /v1/events`:
/// load profiles, weights, the world refused while running, labels.
@Suite("Load profiles, weights and labels over HTTP")
struct LiveConfigurationEndpointTests {
    private static func configuration(_ extra: String, rate: String? = #""events_per_second": 100, "#) -> String {
        #"{\#(rate ?? "")"mix": {"payment": 1}, "accounts": 100, "fraud_rate": 0.01, "inconsistency_rate": 0, "currencies": ["EUR"]\#(extra)}"#
    }

    @Test func loadProfilesAndWeightsRoundTrip() async throws {
        try await withGeneratorAPI { control, client in
            let json = Self.configuration(#"""
                , "load_profile": {"kind": "burst", "factor": 4, "burst_seconds": 5, "period_seconds": 30},
                "fraud_weights": {"card_testing": 3, "velocity_burst": 1, "topup_drain": 0},
                "inconsistency_weights": {"duplicate_event": 2}
                """#)
            let response = try await client.send(.put, "/v1/generator/config", json: json)
            #expect(response.status == .ok, "\(String(decoding: response.body, as: UTF8.self))")
            let configuration = await control.configuration
            #expect(configuration.loadProfile == .burst(factor: 4, burstSeconds: 5, periodSeconds: 30))
            #expect(configuration.fraudWeights == [.cardTesting: 3, .velocityBurst: 1, .topupDrain: 0])
            #expect(configuration.inconsistencyWeights == [.duplicateEvent: 2])
            let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
            let echoed = try #require(object["configuration"] as? [String: Any])
            #expect((echoed["load_profile"] as? [String: Any])?["kind"] as? String == "burst")
            #expect((echoed["fraud_weights"] as? [String: Double])?["card_testing"] == 3)

            for profile in [
                #"{"kind": "constant"}"#,
                #"{"kind": "ramp", "from_events_per_second": 10, "to_events_per_second": 500, "duration_seconds": 60}"#,
                #"{"kind": "daily", "period_seconds": 600}"#,
                #"{"kind": "daily", "period_seconds": 86400, "start_hour": 9.5}"#,
            ] {
                let answer = try await client.send(.put, "/v1/generator/config", json: Self.configuration(#", "load_profile": \#(profile)"#))
                #expect(answer.status == .ok, "\(profile): \(String(decoding: answer.body, as: UTF8.self))")
            }
            #expect(await control.configuration.loadProfile == .daily(periodSeconds: 86_400, startHour: 9.5))
            // A ramp needs no events_per_second.
            let ramp = Self.configuration(
                #", "load_profile": {"kind": "ramp", "from_events_per_second": 1, "to_events_per_second": 2, "duration_seconds": 3}"#, rate: nil
            )
            #expect(try await client.send(.put, "/v1/generator/config", json: ramp).status == .ok)
        }
    }

    @Test(arguments: [
        (#", "load_profile": {"kind": "burst", "factor": 2, "burst_seconds": 1, "period_seconds": 10}"#, "load_profile", true),
        (#", "load_profile": {"kind": "daily", "period_seconds": 600}"#, "events_per_second", true),
        (#", "load_profile": {"kind": "burst", "factor": 0, "burst_seconds": 1, "period_seconds": 10}"#, "factor", false),
        (#", "load_profile": {"kind": "burst", "factor": 2, "burst_seconds": 10, "period_seconds": 10}"#, "burst_seconds", false),
        (#", "load_profile": {"kind": "weekly", "period_seconds": 600}"#, "kind", false),
        (#", "load_profile": {"kind": "ramp", "from_events_per_second": 1}"#, "to_events_per_second", false),
        (#", "fraud_weights": {"card_testing": 1, "bank_heist": 2}"#, "bank_heist", false),
        (#", "inconsistency_weights": {"account_mismatch": 1}"#, "account_mismatch", false),
        (#", "fraud_weights": {"card_testing": 0}"#, "fraud_weights", false),
    ])
    func badProfilesAndWeightsAreA400(extra: String, mentions: String, unlimited: Bool) async throws {
        try await withGeneratorAPI { control, client in
            let before = await control.configuration
            let json = Self.configuration(extra, rate: unlimited ? nil : #""events_per_second": 100, "#)
            let response = try await client.send(.put, "/v1/generator/config", json: json)
            #expect(response.status == .badRequest, "\(extra): \(response.status)")
            #expect(errorMessage(response.body).contains(mentions), "\(errorMessage(response.body))")
            #expect(await control.configuration == before)
        }
    }

    @Test func theWorldsFieldsAreA409WhileRunningAndTheRestIsLive() async throws {
        try await withGeneratorAPI { control, client in
            #expect(try await client.send(.put, "/v1/generator/config", json: Self.configuration(#", "seed": 5"#)).status == .ok)
            #expect(try await client.send(.post, "/v1/generator/start").status == .ok)
            let resized = Self.configuration(#", "seed": 5"#).replacingOccurrences(of: #""accounts": 100"#, with: #""accounts": 200"#)
            let refused = try await client.send(.put, "/v1/generator/config", json: resized)
            #expect(refused.status == .conflict)
            #expect(errorMessage(refused.body).contains("stop"))
            let faster = Self.configuration(#", "seed": 5"#).replacingOccurrences(of: #""events_per_second": 100"#, with: #""events_per_second": 900"#)
            #expect(try await client.send(.put, "/v1/generator/config", json: faster).status == .ok)
            #expect(await control.configuration.eventsPerSecond == 900)
        }
    }

    @Test func anInjectedEventCarriesItsLabel() async throws {
        try await withGeneratorAPI { control, client in
            var fields = EventInjectionTests.body(EventInjectionTests.payment)
            fields.removeLast()
            let labelled = fields + #", "label": {"category": "fraud", "name": "card_testing"}}"#
            let response = try await client.send(.post, "/v1/events", json: labelled)
            #expect(response.status == .created, "\(String(decoding: response.body, as: UTF8.self))")
            #expect(await control.labels == [EventLabel(kind: .fraud(.cardTesting))])
            let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
            #expect((object["event"] as? [String: Any])?["label"] == nil, "the label is ground truth, not an event field")

            let incident = "6f1c2b1e-3f7a-4c55-9d1e-2a4b8c0d9e99"
            let grouped = fields + #", "label": {"category": "legitimate", "name": "payroll_day", "incident_id": "\#(incident)"}}"#
            #expect(try await client.send(.post, "/v1/events", json: grouped).status == .created)
            #expect(await control.labels.last == EventLabel(kind: .legitimate(.payrollDay), incidentID: UUID(uuidString: incident)))

            #expect(try await client.send(.post, "/v1/events", json: fields + "}").status == .created)
            #expect(await control.labels.last == .some(nil), "no label, as before")

            let unknown = try await client.send(.post, "/v1/events", json: fields + #", "label": {"category": "fraud", "name": "payroll_day"}}"#)
            #expect(unknown.status == .unprocessableContent)
            #expect(errorMessage(unknown.body).contains("payroll_day"))
            let category = try await client.send(.post, "/v1/events", json: fields + #", "label": {"category": "maybe", "name": "x"}}"#)
            #expect(category.status == .badRequest)
            #expect(await control.injected.count == 3)
        }
    }
}
