import Foundation
import PayFlowDomain
import Testing

/// The findings streams and the names both sides of them share: these are on
/// the wire and in the database, so they are pinned here.
@Suite("The findings contract on payflow:alerts and payflow:mismatches")
struct FindingsContractTests {
    static let detectedAt = EventTimestamp(rfc3339: "2026-11-25T14:03:07.123456Z")!

    @Test func alertFieldsAreFlatInAFixedOrderAndReadBack() throws {
        let eventID = UUID(uuidString: "6f1c2a9e-2b7d-4c1e-9a51-0d1f3e5b7a90")!
        let alert = AlertNotice(
            alertID: AlertNotice.alertID(eventID: eventID, rule: .velocityBurst),
            eventID: eventID.uuidString.lowercased(), account: "acc-000042", rule: FraudPattern.velocityBurst.ruleName,
            severity: "medium", reason: "5 payments in 600 s", detectedAt: Self.detectedAt
        )
        #expect(alert.fields.map(\.name) == ["alert_id", "event_id", "account", "rule", "severity", "reason", "detected_at"])
        #expect(alert.fields.map(\.value) == [
            "6f1c2a9e-2b7d-4c1e-9a51-0d1f3e5b7a90:velocity", "6f1c2a9e-2b7d-4c1e-9a51-0d1f3e5b7a90", "acc-000042",
            "velocity", "medium", "5 payments in 600 s", "2026-11-25T14:03:07.123456Z",
        ])
        #expect(try AlertNotice(fields: alert.fields) == alert)
    }

    @Test func mismatchFieldsAreFlatInAFixedOrderAndReadBack() throws {
        let mismatch = MismatchNotice(
            mismatchID: "0b8f3c4e-8a61-4f0e-9d8b-2f3a1c5d7e90", kind: MismatchKind.missingInReference.rawValue,
            transactionID: "6f1c2a9e-2b7d-4c1e-9a51-0d1f3e5b7a90", expected: "no ledger row", actual: "", detectedAt: Self.detectedAt
        )
        #expect(mismatch.fields.map(\.name) == ["mismatch_id", "kind", "transaction_id", "expected", "actual", "detected_at"])
        #expect(try MismatchNotice(fields: mismatch.fields) == mismatch)
    }

    @Test func fraudPatternNamesAreTheScenarioAndRuleNames() {
        #expect(FraudPattern.allCases.map(\.scenarioName) == [
            "velocity_burst", "card_testing", "amount_spike", "impossible_travel", "blocked_account_activity", "refund_abuse", "topup_drain",
        ])
        #expect(FraudPattern.allCases.map(\.ruleName) == [
            "velocity", "card_testing", "amount_spike", "impossible_travel", "blocked_account_activity", "refund_abuse", "topup_drain",
        ])
        for pattern in FraudPattern.allCases {
            #expect(FraudPattern(scenarioName: pattern.scenarioName) == pattern)
            #expect(FraudPattern(ruleName: pattern.ruleName) == pattern)
        }
        #expect(FraudPattern(ruleName: "velocity_burst") == nil)
        #expect(FraudPattern(scenarioName: "velocity") == nil)
    }

    @Test func mismatchKindsAreTheColumnValues() {
        #expect(MismatchKind.allCases.map(\.rawValue) == [
            "missing_in_reference", "missing_in_stream", "amount_mismatch", "currency_mismatch", "account_mismatch", "duplicate_event",
        ])
    }
}
