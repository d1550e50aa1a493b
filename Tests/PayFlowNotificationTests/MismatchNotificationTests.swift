import Foundation
import PayFlowDomain
import PayFlowNotification
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// Reconciliation's mismatches are notified like alerts (issue 16): one
/// message to operations per mismatch and channel, keyed by the mismatch id,
/// so a mismatch published twice (the outbox's at-least-once `XADD`) or an
/// entry delivered twice is still one notification. Real Redis streams, a
/// real PostgreSQL table and a real signed-webhook receiver.
@Suite("Notification of mismatches")
struct MismatchNotificationTests {
    typealias Fixture = NotificationFixture

    @Test func aMismatchIsOneNotificationPerChannelWhateverItsCopies() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                let mismatch = Fixture.mismatch(kind: .missingInReference)
                let other = Fixture.mismatch(kind: .duplicateEvent)
                // The outbox published the first mismatch twice: two entries, one mismatch id.
                try await fixture.xadd(mismatch)
                try await fixture.xadd(other)
                try await fixture.xadd(mismatch)

                // The webhook channel, through a running consumer group.
                let webhook = fixture.webhookChannel(url: receiver.url, secret: receiver.secret)
                try await fixture.whileRunning(channel: webhook) { consumer in
                    try await eventually("both mismatches notified") { try await fixture.deliveredCount() == 2 }
                    try await eventually("every entry acked") { consumer.counters.snapshot.acked == 3 }
                }
                #expect(receiver.acceptedKeys.count == 2, "\(receiver.acceptedKeys)")
                #expect(receiver.state.value.badSignatures == 0)
                let payloads = Dictionary(receiver.state.value.accepted.map { ($0.payload.sourceID, $0.payload) }, uniquingKeysWith: { first, _ in first })
                let payload = try #require(payloads[mismatch.mismatchID])
                #expect(payload.kind == "reconciliation_mismatch")
                #expect(payload.recipient == "operations")
                #expect(payload.eventID == mismatch.transactionID)
                #expect(payload.sourceStream == fixture.mismatchesStream)
                #expect(payload.occurredAt == mismatch.detectedAt.description)
                #expect(payload.subject == "[reconciliation] missing_in_reference on transaction \(mismatch.transactionID)")
                #expect(payloads[other.mismatchID]?.subject.contains("duplicate_event") == true)

                // Every entry delivered once more (an ack lost): nothing new is sent.
                let (handler, connection) = try await fixture.handler(channel: webhook)
                let deliveries = try await fixture.streamEntries().map { Delivery(entry: $0, message: try handler.decode($0)) }
                #expect(deliveries.count == 3)
                let outcomes = try await handler.handle(deliveries)
                #expect(outcomes.count == 3 && outcomes.values.allSatisfy { $0 == .done })

                // The log channel: the same mismatches, one line and one row each, beside the webhook's.
                let lines = Shared<[CapturingLogHandler.Line]>([])
                let (logHandler, logConnection) = try await fixture.handler(channel: LogChannel(logger: CapturingLogHandler.logger(into: lines)))
                for _ in 0..<2 {
                    let logOutcomes = try await logHandler.handle(deliveries)
                    #expect(logOutcomes.values.allSatisfy { $0 == .done })
                }
                await logConnection.close()
                await connection.close()
                await webhook.shutdown()

                #expect(receiver.acceptedKeys.count == 2, "a redelivered mismatch was sent again: \(receiver.acceptedKeys)")
                #expect(lines.value.count == 2, "\(lines.value.map(\.message))")
                let rows = try await fixture.rows()
                #expect(rows.count == 4)
                for channel in ["webhook", "log"] {
                    let perChannel = rows.filter { $0.channel == channel }
                    #expect(perChannel.count == 2, "\(channel): \(perChannel)")
                    #expect(Set(perChannel.map(\.sourceID)) == [mismatch.mismatchID, other.mismatchID])
                    #expect(perChannel.allSatisfy { $0.status == "delivered" && $0.attempts == 1 && $0.kind == "reconciliation_mismatch" })
                }
                #expect(try await fixture.deadLetters().isEmpty)
            }
        }
    }

    /// A mismatch entry that does not parse, or names no UUID transaction
    /// (the row's event_id), is dead-lettered at once, not retried; its
    /// well-formed neighbours are notified.
    @Test func aMalformedMismatchIsDeadLettered() async throws {
        try await Fixture.with { fixture in
            let good = Fixture.mismatch()
            var notAUUID = Fixture.mismatch()
            notAUUID.transactionID = "tx-42"
            try await fixture.xadd(good)
            try await fixture.xadd(notAUUID)
            try await fixture.xadd(stream: fixture.mismatchesStream, fields: [("mismatch_id", "m-1"), ("kind", "amount_mismatch")])

            let lines = Shared<[CapturingLogHandler.Line]>([])
            try await fixture.whileRunning(channel: LogChannel(logger: CapturingLogHandler.logger(into: lines))) { _ in
                try await eventually("the malformed ones dead-lettered") { try await fixture.deadLetters().count == 2 }
                try await eventually("nothing pending") { try await fixture.pendingCount() == 0 }
            }
            let rows = try await fixture.rows()
            #expect(rows.map(\.sourceID) == [good.mismatchID])
            let reasons = try await fixture.deadLetters().map { $0["reason"] ?? "" }
            #expect(reasons.contains { $0.contains("transaction_id") && $0.contains("not a UUID") }, "\(reasons)")
            #expect(reasons.contains { $0.contains("transaction_id") || $0.contains("detected_at") }, "\(reasons)")
            #expect(lines.value.count == 1)
        }
    }
}
