import Foundation
import PayFlowAntiFraud
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// A batch's findings written as one statement (``FraudAlertStore``): the new
/// alert rows already claimed, the rows an earlier delivery left unpublished
/// claimed beside them, and the provisional verdicts, in one commit.
@Suite("Anti-fraud alert write")
struct AlertWriteTests {
    private static let detectedAt = EventTimestamp(rfc3339: "2026-03-02T08:00:00Z")!

    private static func alert() -> FraudAlert {
        FraudAlert(eventID: UUID(), account: "acc-000001", rule: .velocityBurst, reason: "5 payments in 600 s", detectedAt: Self.detectedAt)
    }

    @Test(arguments: RedisPlacement.allCases) func aRowAnEarlierDeliveryLeftUnpublishedIsPublishedWithTheNewOnes(on placement: RedisPlacement) async throws {
        try await AntiFraudFixture.with(on: placement) { fixture in
            let left = Self.alert()
            let new = Self.alert()
            // What a delivery that died after its commit, before claiming, leaves behind.
            try await fixture.database.query(
                "INSERT INTO fraud_alerts (alert_id, event_id, account, rule, severity, reason, detected_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [left.alertID, left.eventID.uuidString.lowercased(), left.account, left.rule.ruleName, left.severity, left.reason, left.detectedAt.description]
            )

            #expect(try await fixture.handler.alerts.record([left, new]) == 1)

            #expect(try await fixture.streamAlertIDs().sorted() == [left.alertID, new.alertID].sorted())
            let rows = try await fixture.alertRows()
            #expect(rows[left.alertID]?.published == true)
            #expect(rows[new.alertID]?.published == true)
            // Delivered again: nothing new, nothing published twice.
            #expect(try await fixture.handler.alerts.record([left, new]) == 0)
            #expect(try await fixture.streamAlertIDs().count == 2)
        }
    }

    @Test func aBatchWhoseVerdictTheDatabaseRefusesLeavesNoAlertBehind() async throws {
        try await AntiFraudFixture.with { fixture in
            // A verdict PostgreSQL refuses (a check added for the test only).
            try await fixture.database.execute("ALTER TABLE fraud_provisional_verdicts ADD CONSTRAINT test_refuses CHECK (reason <> 'refused')")
            let alert = Self.alert()
            let verdict = ProvisionalVerdict(
                eventID: UUID(), account: "acc-000001", rule: .refundAbuse, reason: "refused", judgedAt: Self.detectedAt,
                refundedPaymentID: UUID(), refundAmount: 500, detectedAt: Self.detectedAt,
                settleAfter: StreamEntryID(milliseconds: 5, sequence: 0)
            )

            await #expect(throws: (any Error).self) {
                try await fixture.handler.alerts.record([alert], provisional: [verdict])
            }
            // Nothing committed and nothing announced: the batch is retried whole.
            #expect(try await fixture.alertRows().isEmpty)
            #expect(try await fixture.streamAlertIDs().isEmpty)

            try await fixture.database.execute("ALTER TABLE fraud_provisional_verdicts DROP CONSTRAINT test_refuses")
            #expect(try await fixture.handler.alerts.record([alert], provisional: [verdict]) == 1)
            #expect(try await fixture.streamAlertIDs() == [alert.alertID])
            #expect(try await fixture.alertRows()[alert.alertID]?.published == true)
            #expect(try await fixture.handler.provisional.due(throughMilliseconds: nil, limit: 10) == [verdict])
        }
    }
}
