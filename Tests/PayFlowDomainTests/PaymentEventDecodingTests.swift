import Foundation
import PayFlowDomain
import Testing

@Suite("The event contract on payflow:events")
struct PaymentEventDecodingTests {
    static let payment = PaymentEvent(
        id: UUID(uuidString: "6f1c2a9e-2b7d-4c1e-9a51-0d1f3e5b7a90")!,
        type: .payment,
        occurredAt: EventTimestamp(rfc3339: "2026-11-25T14:03:07.123456Z")!,
        account: "acc-000042",
        amount: 1999,
        currency: .eur,
        details: .init(merchant: "m-0007", country: "DE", ip: "203.0.113.7", device: "d-91")
    )

    static func fields(_ event: PaymentEvent = payment, replacing name: String? = nil, with value: String? = nil) -> [(name: String, value: String)] {
        var fields = event.fields
        if let name {
            fields.removeAll { $0.name == name }
            if let value { fields.append((name, value)) }
        }
        return fields
    }

    @Test func everyTypeRoundTripsThroughStreamFields() throws {
        let original = UUID(uuidString: "00000000-0000-4000-8000-000000000001")!
        let events = [
            Self.payment,
            PaymentEvent(id: UUID(), type: .refund, occurredAt: .now(), account: "acc-1", amount: 500, currency: .gbp,
                         details: .init(merchant: "m-1", originalPaymentID: original)),
            PaymentEvent(id: UUID(), type: .topup, occurredAt: .now(), account: "acc-1", amount: 10_000, currency: .jpy,
                         details: .init(source: "bank_transfer")),
            PaymentEvent(id: UUID(), type: .accountBlocked, occurredAt: .now(), account: "acc-1", amount: 0, currency: .usd,
                         details: .init(reason: "chargeback")),
            PaymentEvent(id: UUID(), type: .accountUnblocked, occurredAt: .now(), account: "acc-1", amount: 0, currency: .usd,
                         details: .init(reason: "cleared")),
        ]
        for event in events {
            #expect(try PaymentEvent(fields: event.fields) == event)
        }
    }

    @Test func streamFieldsAreFlatAndReadable() {
        let fields = Dictionary(uniqueKeysWithValues: Self.payment.fields.map { ($0.name, $0.value) })
        #expect(fields["id"] == "6f1c2a9e-2b7d-4c1e-9a51-0d1f3e5b7a90")
        #expect(fields["type"] == "payment")
        #expect(fields["schema_version"] == "1")
        #expect(fields["occurred_at"] == "2026-11-25T14:03:07.123456Z")
        #expect(fields["amount"] == "1999")
        #expect(fields["currency"] == "EUR")
        #expect(fields["country"] == "DE")
        #expect(fields["original_payment_id"] == nil)
    }

    @Test(arguments: [
        ("type", "chargeback", "unknown type 'chargeback'"),
        ("amount", "-5", "not a non-negative integer"),
        ("amount", "19.99", "not a non-negative integer"),
        ("amount", "1e3", "not a non-negative integer"),
        ("amount", "99999999999999999999", "not a non-negative integer"),
        ("amount", "0", "positive amount"),
        ("currency", "XYZ", "unknown currency 'XYZ'"),
        ("currency", "eur", "unknown currency 'eur'"),
        ("id", "not-a-uuid", "is not a UUID"),
        // Foundation's parser on Linux read these two as other ids (UUIDTextTests).
        ("id", " 1234567-89ab-cdef-fedc-ba9876543210", "is not a UUID"),
        ("id", "01234567-89ab-cdef-fedc-ba98765432-0", "is not a UUID"),
        ("occurred_at", "2026-11-25 14:03:07", "RFC 3339"),
        ("occurred_at", "2026-02-30T00:00:00Z", "RFC 3339"),
        ("occurred_at", "2026-11-25T14:03:07+01:00", "RFC 3339"),
        ("schema_version", "2", "unsupported version '2'"),
        ("country", "Germany", "ISO 3166-1 alpha-2"),
        ("merchant", "", "is empty"),
        // What a store would refuse later, refused here for every service and the REST API alike.
        ("account", "acc-\u{0}42", "control character U+0000"),
        ("account", "acc-\n42", "control character U+000A"),
        ("merchant", "m-\u{7F}", "control character U+007F"),
        ("device", "d-\u{85}", "control character U+0085"),
        ("account", String(repeating: "a", count: 9000), "9000 characters long, at most 64"),
        ("merchant", String(repeating: "m", count: 65), "65 characters long, at most 64"),
        ("device", String(repeating: "d", count: 65), "at most 64"),
        ("ip", "not-an-ip", "not an IPv4 or IPv6 address"),
        ("ip", "256.1.1.1", "not an IPv4 or IPv6 address"),
        ("ip", "10.0.0.1\u{0}", "control character U+0000"),
        ("ip", String(repeating: "1", count: 46), "at most 45"),
    ])
    func rejectsABadValueWithAReasonNamingIt(field: String, value: String, reason: String) {
        do {
            _ = try PaymentEvent(fields: Self.fields(replacing: field, with: value))
            Issue.record("\(field)=\(value) should not decode")
        } catch {
            #expect(error.field == field)
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    /// The limits are inclusive and count characters, not bytes, as JSON
    /// Schema's `maxLength` does; IPv6 is an address too.
    @Test func acceptsTextAtItsLimitsAndBothIPFamilies() throws {
        let longest = String(repeating: "é", count: EventTextLimits.maxIdentifierLength)
        for field in ["account", "merchant", "device"] {
            #expect(throws: Never.self) { try PaymentEvent(fields: Self.fields(replacing: field, with: longest)) }
        }
        for ip in ["2001:db8::1", "::ffff:192.0.2.1", "192.0.2.255"] {
            #expect(throws: Never.self) { try PaymentEvent(fields: Self.fields(replacing: "ip", with: ip)) }
        }
        let blocked = PaymentEvent(id: UUID(), type: .accountBlocked, occurredAt: .now(), account: "a", amount: 0, currency: .eur,
                                   details: .init(reason: String(repeating: "r", count: EventTextLimits.maxReasonLength + 1)))
        #expect(throws: EventDecodingError.self) { try PaymentEvent(fields: blocked.fields) }
    }

    /// The text check walks UTF-8 bytes for speed; this holds it to its
    /// definition, scalar by scalar (Cc refused, at most 64 scalars), on
    /// strings built from the scalars where a byte walk could go wrong: C1
    /// controls and their neighbours (same lead byte 0xC2), multi-byte
    /// letters, an emoji, DEL.
    @Test func theTextCheckAgreesWithItsDefinitionScalarByScalar() {
        let alphabet: [Unicode.Scalar] = [
            "a", "\u{1F}", "\u{20}", "\u{7E}", "\u{7F}", "\u{80}", "\u{85}", "\u{9F}", "\u{A0}", "\u{BF}", "\u{C2}",
            "é", "\u{800}", "\u{FEFF}", "💸",
        ]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let count = Int.random(in: 1...70, using: &random)
            var scalars = String.UnicodeScalarView()
            for _ in 0..<count {
                // Mostly plain letters, so lengths near the limit pass the control check too.
                scalars.append(Int.random(in: 0..<4, using: &random) == 0 ? alphabet.randomElement(using: &random)! : "a")
            }
            let value = String(scalars)
            let control = value.unicodeScalars.first { $0.properties.generalCategory == .control }
            let expected: String? = if let control {
                "control character U+00" + String(control.value, radix: 16, uppercase: true).leftPadded(to: 2)
            } else if value.unicodeScalars.count > EventTextLimits.maxIdentifierLength {
                "\(value.unicodeScalars.count) characters long"
            } else {
                nil
            }
            do {
                _ = try PaymentEvent(fields: Self.fields(replacing: "merchant", with: value))
                #expect(expected == nil, "\(value.unicodeScalars.map { String($0.value, radix: 16) }) decoded")
            } catch {
                #expect(expected.map { error.description.contains($0) } == true, "\(error.description), expected \(expected ?? "no error")")
            }
        }
    }

    @Test(arguments: ["id", "type", "occurred_at", "account", "amount", "currency", "schema_version", "merchant", "country", "ip", "device"])
    func rejectsAMissingField(field: String) {
        #expect(throws: EventDecodingError(field: field, problem: .missingField)) {
            try PaymentEvent(fields: Self.fields(replacing: field, with: nil))
        }
    }

    @Test func rejectsUnknownAndDuplicateFields() {
        #expect(throws: EventDecodingError(field: "fraud_label", problem: .unknownField)) {
            try PaymentEvent(fields: Self.payment.fields + [("fraud_label", "velocity_burst")])
        }
        #expect(throws: EventDecodingError(field: "original_payment_id", problem: .unknownField)) {
            try PaymentEvent(fields: Self.payment.fields + [("original_payment_id", UUID().uuidString)])
        }
        #expect(throws: EventDecodingError(field: "amount", problem: .duplicateField)) {
            try PaymentEvent(fields: Self.payment.fields + [("amount", "1")])
        }
    }

    @Test func accountEventsCarryAmountZero() {
        let blocked = PaymentEvent(id: UUID(), type: .accountBlocked, occurredAt: .now(), account: "a", amount: 0, currency: .eur,
                                   details: .init(reason: "fraud"))
        var fields = blocked.fields
        fields.removeAll { $0.name == "amount" }
        fields.append(("amount", "100"))
        #expect(throws: EventDecodingError.self) { try PaymentEvent(fields: fields) }
    }
}

@Suite("Event timestamps")
struct EventTimestampTests {
    @Test(arguments: [
        "1970-01-01T00:00:00.000000Z", "2026-11-25T14:03:07.123456Z", "2024-02-29T23:59:59.999999Z",
        "1969-12-31T23:59:59.500000Z", "2100-03-01T00:00:00.000001Z",
    ])
    func roundTripsRFC3339WithMicroseconds(text: String) throws {
        let timestamp = try #require(EventTimestamp(rfc3339: text))
        #expect(timestamp.description == text)
    }

    /// The text is written digit by digit; the parser, written apart, reads
    /// every one back, from the first day of year 0 to the last of 9999.
    @Test func everyWrittenTimestampParsesBackToItself() throws {
        let first: Int64 = -62_167_219_200_000_000  // 0000-01-01T00:00:00Z
        let last: Int64 = 253_402_300_799_999_999   // 9999-12-31T23:59:59.999999Z
        var random = SystemRandomNumberGenerator()
        let samples = [first, last, 0, -1, 1] + (0..<20_000).map { _ in Int64.random(in: first...last, using: &random) }
        for microseconds in samples {
            let timestamp = EventTimestamp(microsecondsSinceEpoch: microseconds)
            let text = timestamp.description
            #expect(text.utf8.count == 27, "\(text)")
            #expect(EventTimestamp(rfc3339: text) == timestamp, "\(microseconds) wrote \(text)")
        }
        #expect(EventTimestamp(microsecondsSinceEpoch: first).description == "0000-01-01T00:00:00.000000Z")
        #expect(EventTimestamp(microsecondsSinceEpoch: last).description == "9999-12-31T23:59:59.999999Z")
    }

    @Test func agreesWithFoundation() throws {
        let timestamp = try #require(EventTimestamp(rfc3339: "2026-11-25T14:03:07Z"))
        let date = try Date("2026-11-25T14:03:07Z", strategy: .iso8601)
        #expect(timestamp.date == date)
        #expect(EventTimestamp(rfc3339: "2026-11-25T14:03:07.5Z")?.description == "2026-11-25T14:03:07.500000Z")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}
