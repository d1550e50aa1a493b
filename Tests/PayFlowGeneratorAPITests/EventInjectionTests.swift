import Foundation
import Hummingbird
import HummingbirdTesting
import PayFlowDomain
import PayFlowGenerator
import Testing

@Suite("POST /v1/events")
struct EventInjectionTests {
    /// A valid payment as stream fields; the JSON body is built from these.
    static let payment: [(name: String, value: String)] = [
        ("id", "6f1c2b1e-3f7a-4c55-9d1e-2a4b8c0d9e11"),
        ("type", "payment"),
        ("schema_version", "1"),
        ("occurred_at", "2026-11-25T14:03:07.123456Z"),
        ("account", "acc-000042"),
        ("amount", "1999"),
        ("currency", "EUR"),
        ("merchant", "m-coffee-17"),
        ("country", "FR"),
        ("ip", "203.0.113.7"),
        ("device", "d-9a1f"),
    ]

    /// The body of a request: `amount` as a JSON integer (or the raw JSON
    /// given in `amountJSON`), everything else as strings.
    static func body(_ fields: [(name: String, value: String)], amountJSON: String? = nil) -> String {
        let members = fields.map { field -> String in
            let value = field.name == "amount"
                ? (amountJSON ?? field.value)
                : Self.jsonString(field.value)
            return "\"\(field.name)\": \(value)"
        }
        return "{" + members.joined(separator: ", ") + "}"
    }

    /// A JSON string literal, control characters escaped as JSON requires.
    static func jsonString(_ value: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    struct Injected: Decodable {
        var entryID: String
        var event: [String: JSONValue]

        enum CodingKeys: String, CodingKey {
            case entryID = "entry_id"
            case event
        }
    }

    @Test func validEventIsEmittedAndEchoed() async throws {
        try await withGeneratorAPI { control, client in
            let response = try await client.send(.post, "/v1/events", json: Self.body(Self.payment))
            #expect(response.status == .created)
            let injected = try JSONDecoder().decode(Injected.self, from: response.body)
            #expect(injected.entryID == "1764079387123-0")
            #expect(injected.event["amount"] == .integer(1999))
            #expect(injected.event["merchant"] == .string("m-coffee-17"))
            #expect(injected.event["id"] == .string("6f1c2b1e-3f7a-4c55-9d1e-2a4b8c0d9e11"))
            #expect(injected.event["refund"] == nil)
            #expect(await control.injected == [try PaymentEvent(fields: Self.payment)])
        }
    }

    @Test func amountAsAStringOfDigitsIsAcceptedLikeOnTheStream() async throws {
        try await withGeneratorAPI { control, client in
            let response = try await client.send(.post, "/v1/events", json: Self.body(Self.payment, amountJSON: "\"1999\""))
            #expect(response.status == .created)
            #expect(await control.injected.first?.amount == 1999)
        }
    }

    @Test func accountEventNeedsItsReasonOnly() async throws {
        try await withGeneratorAPI { control, client in
            let fields: [(name: String, value: String)] = [
                ("id", "0b7e3f62-8d51-4a2c-9e0f-5c3d2b1a0f99"), ("type", "account_blocked"), ("schema_version", "1"),
                ("occurred_at", "2026-11-25T14:03:07Z"), ("account", "acc-000042"), ("amount", "0"), ("currency", "EUR"),
                ("reason", "chargeback ratio"),
            ]
            let response = try await client.send(.post, "/v1/events", json: Self.body(fields))
            #expect(response.status == .created)
            #expect(await control.injected.first?.details.reason == "chargeback ratio")
        }
    }

    /// A refused event: how its fields differ from the valid payment.
    struct Refused: Sendable, CustomTestStringConvertible {
        var name: String
        var fields: [(name: String, value: String)]
        var amountJSON: String?

        var testDescription: String { self.name }
    }

    static func changing(_ name: String, to value: String?) -> [(name: String, value: String)] {
        var fields = Self.payment.filter { $0.name != name }
        if let value, let index = Self.payment.firstIndex(where: { $0.name == name }) {
            fields.insert((name, value), at: index)
        }
        return fields
    }

    static let refused: [Refused] = [
        .init(name: "unknown type", fields: changing("type", to: "chargeback")),
        .init(name: "missing field", fields: changing("merchant", to: nil)),
        .init(name: "negative amount", fields: changing("amount", to: "-5"), amountJSON: "-5"),
        .init(name: "non-integer amount", fields: changing("amount", to: "12.5"), amountJSON: "12.5"),
        .init(name: "amount as words", fields: changing("amount", to: "lots"), amountJSON: "\"lots\""),
        .init(name: "unknown currency", fields: changing("currency", to: "XYZ")),
        .init(name: "unknown field", fields: Self.payment + [("colour", "blue")]),
        .init(name: "detail field of another type", fields: Self.payment + [("reason", "none")]),
        .init(name: "id that is not a UUID", fields: changing("id", to: "42")),
        .init(name: "time that is not RFC 3339", fields: changing("occurred_at", to: "25/11/2026")),
        .init(name: "unsupported schema version", fields: changing("schema_version", to: "2")),
        .init(name: "empty field", fields: changing("account", to: "")),
        // The same limits as the stream decoder, so REST refuses what every consumer would.
        .init(name: "NUL byte in account", fields: changing("account", to: "acc-\u{0}42")),
        .init(name: "control character in merchant", fields: changing("merchant", to: "m-\u{1B}[31m")),
        .init(name: "account longer than maxLength", fields: changing("account", to: String(repeating: "a", count: 9000))),
        .init(name: "device longer than maxLength", fields: changing("device", to: String(repeating: "d", count: 65))),
        .init(name: "ip that is not an address", fields: changing("ip", to: "203.0.113")),
    ]

    @Test(arguments: Self.refused)
    func refusedEventAnswersTheStreamDecodersReason(_ refused: Refused) async throws {
        // The reason the stream decoder gives for the same fields.
        let expected: String
        do {
            _ = try PaymentEvent(fields: refused.fields)
            Issue.record("the fixture decodes")
            return
        } catch {
            expected = error.description
        }
        try await withGeneratorAPI { control, client in
            let response = try await client.send(.post, "/v1/events", json: Self.body(refused.fields, amountJSON: refused.amountJSON))
            #expect(response.status == .unprocessableContent)
            #expect(errorMessage(response.body) == expected)
            #expect(await control.injected.isEmpty)
        }
    }

    @Test func nonScalarFieldValueIsABadRequest() async throws {
        try await withGeneratorAPI { control, client in
            let json = Self.body(Self.payment).replacingOccurrences(of: "\"m-coffee-17\"", with: "{\"name\": \"x\"}")
            let response = try await client.send(.post, "/v1/events", json: json)
            #expect(response.status == .badRequest)
            #expect(errorMessage(response.body).contains("merchant"))
            #expect(await control.injected.isEmpty)
        }
    }

    @Test func invalidJSONIsABadRequest() async throws {
        try await withGeneratorAPI { _, client in
            let response = try await client.send(.post, "/v1/events", json: "{\"id\": ")
            #expect(response.status == .badRequest)
            #expect(errorMessage(response.body).contains("not valid JSON"))
        }
    }

    @Test func missingBodyIsABadRequest() async throws {
        try await withGeneratorAPI { _, client in
            let response = try await client.send(.post, "/v1/events")
            #expect(response.status == .badRequest)
            _ = errorMessage(response.body)
        }
    }

    @Test func unavailableStoreIsServiceUnavailable() async throws {
        try await withGeneratorAPI { control, client in
            await control.failInjections(with: .unavailable("postgres: connection refused"))
            let response = try await client.send(.post, "/v1/events", json: Self.body(Self.payment))
            #expect(response.status == .serviceUnavailable)
            #expect(errorMessage(response.body).contains("postgres: connection refused"))
        }
    }
}
