import Foundation
import PayFlowDomain
import PayFlowNotification
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// How the webhook channel classifies answers and what a re-send looks like,
/// one notification at a time through the handler.
@Suite("Notification webhook retries")
struct WebhookRetryTests {
    typealias Fixture = NotificationFixture

    /// Handles the one entry on the events stream with the given receiver script.
    private func handleOne(
        _ fixture: Fixture, _ receiver: WebhookReceiver, script: [Int], maxAttempts: Int = 3
    ) async throws -> (outcome: EntryOutcome?, row: Fixture.Row?) {
        receiver.state.withLock { $0.scripted = script }
        let (handler, connection) = try await fixture.handler(
            channel: fixture.webhookChannel(url: receiver.url, secret: receiver.secret, maxAttempts: maxAttempts)
        )
        let deliveries = try await fixture.streamEntries().map { Delivery(entry: $0, message: try handler.decode($0)) }
        let outcomes = try await handler.handle(deliveries)
        await connection.close()
        return (outcomes.values.first, try await fixture.rows().first)
    }

    @Test(arguments: [408, 429, 500, 502, 503])
    func aTransientAnswerIsRetriedWithinTheDelivery(status: Int) async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                try await fixture.xadd(Fixture.event(.payment))
                let (outcome, row) = try await self.handleOne(fixture, receiver, script: [status, status])
                #expect(outcome == .done)
                #expect(row?.status == "delivered")
                #expect(row?.attempts == 3)
                #expect(receiver.state.value.requests == 3)
                #expect(receiver.acceptedKeys == [row?.notificationID])
            }
        }
    }

    @Test func stillFailingAfterTheLastAttemptLeavesTheEntryForRedelivery() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                try await fixture.xadd(Fixture.event(.refund))
                let (outcome, row) = try await self.handleOne(fixture, receiver, script: [503, 503, 503])
                guard case .retry(let reason) = outcome else {
                    Issue.record("expected .retry, got \(String(describing: outcome))")
                    return
                }
                #expect(reason.contains("503"))
                #expect(row?.status == "failed")
                #expect(row?.attempts == 3)
                #expect(row?.lastError?.contains("503") == true)
                #expect(receiver.acceptedKeys.isEmpty)
            }
        }
    }

    /// A receiver's answer with a NUL byte, which PostgreSQL text refuses: the
    /// outcome is still recorded (the byte replaced). Were `record` refused
    /// after the deliveries, the runtime would split the batch and send its
    /// delivered neighbours again.
    @Test func anAnswerWithANulByteIsRecordedNotRefused() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                try await fixture.xadd(Fixture.event(.payment))
                receiver.state.withLock { $0.scriptedBody = "upstream\u{0}broken" }
                let (outcome, row) = try await self.handleOne(fixture, receiver, script: [503], maxAttempts: 1)
                guard case .retry = outcome else {
                    Issue.record("expected .retry, got \(String(describing: outcome))")
                    return
                }
                #expect(row?.status == "failed")
                #expect(row?.lastError == "webhook answered 503: upstream\u{FFFD}broken")
            }
        }
    }

    @Test(arguments: [400, 401, 403, 404, 410, 422])
    func aClientErrorIsPermanentAndNotRetried(status: Int) async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                try await fixture.xadd(Fixture.event(.topup))
                let (outcome, row) = try await self.handleOne(fixture, receiver, script: [status])
                #expect(outcome == .deadLetter(reason: "webhook answered \(status) (permanent)"))
                #expect(row?.status == "failed")
                #expect(row?.attempts == 1)
                #expect(receiver.state.value.requests == 1)
            }
        }
    }

    /// The crash window the README describes: the receiver got the request but
    /// the `delivered` row was never committed. The next delivery sends the
    /// same bytes under the same key and `webhook-id`, which is what lets the
    /// receiver drop it.
    @Test func aDeliveryNotRecordedIsResentWithTheSameKeyAndBytes() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                try await fixture.xadd(Fixture.alert())
                let (first, _) = try await self.handleOne(fixture, receiver, script: [])
                #expect(first == .done)
                // As if the process had died before recording the delivery.
                try await fixture.database.query("UPDATE notifications SET status = 'pending', delivered_at = NULL")
                let (second, row) = try await self.handleOne(fixture, receiver, script: [])
                #expect(second == .done)
                #expect(row?.status == "delivered")
                #expect(row?.attempts == 2)

                let accepted = receiver.state.value.accepted
                try #require(accepted.count == 2)
                #expect(accepted[0].idempotencyKey == accepted[1].idempotencyKey)
                #expect(accepted[0].idempotencyKey == row?.notificationID)
                #expect(accepted[0].body == accepted[1].body)
                // Same webhook-id, so the receiver drops it; signed anew for its own timestamp
                // (Standard Webhooks), so its signature changes only with the timestamp.
                #expect(accepted[0].id == accepted[1].id)
                #expect(accepted[0].id == row?.notificationID)
                #expect((accepted[0].timestamp == accepted[1].timestamp) == (accepted[0].signature == accepted[1].signature))
                #expect(accepted[0].payload.notificationID == row?.notificationID)
            }
        }
    }
}
