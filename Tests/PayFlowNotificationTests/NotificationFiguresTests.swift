import Foundation
import PayFlowAnalytics
import PayFlowDomain
import PayFlowNotification
import PayFlowPostgres
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// What analytics serves as `GET /v1/stats/notifications`, read as the
/// analytics role (its grant on `notifications`, db/0016) from rows the
/// notification handler wrote against a webhook that fails on purpose: every
/// retry, within a delivery and across redeliveries, is counted.
@Suite("Notification figures")
struct NotificationFiguresTests {
    typealias Fixture = NotificationFixture

    @Test func theFiguresCountAFailingWebhooksRetries() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                let payment = Fixture.event(.payment)
                let refund = Fixture.event(.refund)
                let topup = Fixture.event(.topup)
                let mismatch = Fixture.mismatch()
                for event in [payment, refund, topup] { try await fixture.xadd(event) }
                try await fixture.xadd(mismatch)

                let webhook = fixture.webhookChannel(url: receiver.url, secret: receiver.secret, maxAttempts: 3)
                let (handler, connection) = try await fixture.handler(channel: webhook)
                let deliveries = try await fixture.streamEntries().map { Delivery(entry: $0, message: try handler.decode($0)) }
                let byID = Dictionary(uniqueKeysWithValues: deliveries.map { ($0.message.sourceID, $0) })
                #expect(byID.count == 4)
                /// One entry through the handler, the receiver answering `script` first.
                let handle = { @Sendable (id: String, script: [Int]) async throws -> EntryOutcome? in
                    receiver.state.withLock { $0.scripted = script }
                    return try await handler.handle(byID[id].map { [$0] } ?? []).values.first
                }
                let paymentID = payment.id.uuidString.lowercased()
                let refundID = refund.id.uuidString.lowercased()
                let topupID = topup.id.uuidString.lowercased()

                // payment: two 503s, then delivered within its delivery (3 attempts).
                #expect(try await handle(paymentID, [503, 503]) == .done)
                // refund: fails its 3 attempts, redelivered, fails 2 more, then delivered (6 attempts).
                #expect(try await handle(refundID, [503, 503, 503]) != .done)
                #expect(try await handle(refundID, [503, 503]) == .done)
                // topup: fails its 3 attempts and is still failed.
                #expect(try await handle(topupID, [500, 500, 500]) != .done)
                // mismatch: delivered at once; delivered again later: skipped, no attempt.
                #expect(try await handle(mismatch.mismatchID, []) == .done)
                #expect(try await handle(mismatch.mismatchID, []) == .done)
                // The same mismatch on the log channel: a row of its own.
                let (logHandler, logConnection) = try await fixture.handler(channel: LogChannel(logger: Fixture.quietLogger))
                _ = try await logHandler.handle(byID[mismatch.mismatchID].map { [$0] } ?? [])
                await logConnection.close()
                await connection.close()
                await webhook.shutdown()
                #expect(receiver.state.value.requests == 3 + 6 + 3 + 1)

                // As analytics reads them, with its own role's rights.
                let analytics = try await PostgresConnection.connect(url: ServiceRole.analytics.databaseURL(from: fixture.databaseURL), logger: Fixture.quietLogger)
                let figures: NotificationFigures
                do {
                    figures = try await AnalyticsQueries(database: analytics).notificationFigures()
                } catch {
                    await analytics.close()
                    throw error
                }
                await analytics.close()
                typealias Counts = NotificationFigures.Counts
                #expect(figures.channels == [
                    Counts(channel: "log", kind: nil, sent: 1, failed: 0, pending: 0, retried: 0),
                    Counts(channel: "webhook", kind: nil, sent: 3, failed: 1, pending: 0, retried: 2 + 5 + 2),
                ])
                #expect(figures.kinds == [
                    Counts(channel: "log", kind: "reconciliation_mismatch", sent: 1, failed: 0, pending: 0, retried: 0),
                    Counts(channel: "webhook", kind: "payment_receipt", sent: 1, failed: 0, pending: 0, retried: 2),
                    Counts(channel: "webhook", kind: "reconciliation_mismatch", sent: 1, failed: 0, pending: 0, retried: 0),
                    Counts(channel: "webhook", kind: "refund", sent: 1, failed: 0, pending: 0, retried: 5),
                    Counts(channel: "webhook", kind: "topup", sent: 0, failed: 1, pending: 0, retried: 2),
                ])
            }
        }
    }
}
