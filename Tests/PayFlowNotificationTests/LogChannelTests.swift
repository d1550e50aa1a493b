import Foundation
import PayFlowDomain
import PayFlowNotification
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The default channel: one structured log line per notification, recorded
/// as delivered, and no second line for a redelivery.
@Suite("Notification to the log")
struct LogChannelTests {
    typealias Fixture = NotificationFixture

    @Test func theLogChannelWritesOneLinePerNotificationAndRecordsItDelivered() async throws {
        try await Fixture.with { fixture in
            let events = Fixture.everyEventType()
            let alert = Fixture.alert()
            let mismatch = Fixture.mismatch()
            for event in events { try await fixture.xadd(event) }
            try await fixture.xadd(alert)
            try await fixture.xadd(mismatch)
            let expected = events.count + 2

            let lines = Shared<[CapturingLogHandler.Line]>([])
            let channel = LogChannel(logger: CapturingLogHandler.logger(into: lines))
            try await fixture.whileRunning(channel: channel) { consumer in
                try await eventually("every notification recorded") { try await fixture.deliveredCount() == expected }
                try await eventually("every entry acked") { consumer.counters.snapshot.acked == expected }
            }
            let rows = try await fixture.rows()
            #expect(rows.count == expected)
            #expect(rows.allSatisfy { $0.channel == "log" && $0.status == "delivered" && $0.attempts == 1 })
            #expect(Set(rows.map(\.kind)) == Set(NotificationKind.allCases.map(\.rawValue)))

            #expect(lines.value.count == expected)
            #expect(lines.value.allSatisfy { $0.level == .info })
            #expect(Set(lines.value.compactMap { $0.metadata["notification_id"] }) == Set(rows.map(\.notificationID)))
            for row in rows {
                let line = try #require(lines.value.first { $0.metadata["notification_id"] == row.notificationID })
                #expect(line.metadata["event_id"] == row.eventID)
                #expect(line.metadata["kind"] == row.kind)
                #expect(line.metadata["recipient"] == row.recipient)
                #expect(!line.message.isEmpty)
            }
            let alertRow = try #require(rows.first { $0.kind == "fraud_alert" })
            #expect(alertRow.sourceID == alert.alertID)
            #expect(alertRow.eventID == alert.eventID)
            #expect(alertRow.sourceStream == fixture.alertsStream)
            #expect(alertRow.recipient == "operations")
            let mismatchRow = try #require(rows.first { $0.kind == "reconciliation_mismatch" })
            #expect(mismatchRow.sourceID == mismatch.mismatchID)
            #expect(mismatchRow.eventID == mismatch.transactionID)
            #expect(mismatchRow.sourceStream == fixture.mismatchesStream)
            #expect(mismatchRow.recipient == "operations")
            let mismatchLine = try #require(lines.value.first { $0.metadata["notification_id"] == mismatchRow.notificationID })
            #expect(mismatchLine.message == "[reconciliation] amount_mismatch on transaction \(mismatch.transactionID): "
                + "Reconciliation found amount_mismatch for transaction \(mismatch.transactionID) at \(mismatch.detectedAt): "
                + "the ledger says '1250 EUR', the stream '1500 EUR'. Mismatch \(mismatch.mismatchID).")

            // Redelivered after the ack was lost: skipped, no second line.
            let (handler, connection) = try await fixture.handler(channel: channel)
            let deliveries = try await fixture.streamEntries().map { Delivery(entry: $0, message: try handler.decode($0)) }
            let outcomes = try await handler.handle(deliveries)
            await connection.close()
            #expect(outcomes.values.allSatisfy { $0 == .done })
            #expect(lines.value.count == expected)
            #expect(try await fixture.rows() == rows)
        }
    }
}
