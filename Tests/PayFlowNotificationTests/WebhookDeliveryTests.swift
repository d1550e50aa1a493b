import Foundation
import PayFlowDomain
import PayFlowNotification
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The webhook channel end to end: real Redis streams, a real PostgreSQL
/// table, a real HTTP receiver that checks signatures. Every test has its own
/// streams, group and database, so the suite runs in parallel.
@Suite("Notification over a webhook")
struct WebhookDeliveryTests {
    typealias Fixture = NotificationFixture

    @Test func everyEventAndAlertGivesExactlyOneSignedNotification() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                let events = Fixture.everyEventType()
                let alerts = [Fixture.alert(rule: "velocity"), Fixture.alert(rule: "geo_jump", severity: "medium")]
                for event in events { try await fixture.xadd(event) }
                for alert in alerts { try await fixture.xadd(alert) }
                let expected = events.count + alerts.count

                let channel = fixture.webhookChannel(url: receiver.url, secret: receiver.secret)
                try await fixture.whileRunning(channel: channel) { consumer in
                    try await eventually("every notification delivered and recorded") {
                        try await fixture.deliveredCount() == expected
                    }
                    try await eventually("every entry acked") { consumer.counters.snapshot.acked == expected }
                }

                let rows = try await fixture.rows()
                #expect(rows.count == expected)
                #expect(rows.allSatisfy { $0.status == "delivered" && $0.attempts == 1 && $0.delivered && $0.lastError == nil })
                #expect(rows.allSatisfy { $0.channel == "webhook" })
                // One request per notification, each under its own id.
                let keys = receiver.acceptedKeys
                #expect(keys.count == expected)
                #expect(Set(keys) == Set(rows.map(\.notificationID)))
                #expect(receiver.state.value.badSignatures == 0)

                let payloads = Dictionary(receiver.state.value.accepted.map { ($0.payload.sourceID, $0.payload) }, uniquingKeysWith: { first, _ in first })
                for event in events {
                    let id = event.id.uuidString.lowercased()
                    let payload = try #require(payloads[id])
                    #expect(payload.kind == NotificationKind(eventType: event.type).rawValue)
                    #expect(payload.recipient == event.account)
                    #expect(payload.eventID == id)
                    #expect(payload.sourceStream == fixture.eventsStream)
                }
                for alert in alerts {
                    let payload = try #require(payloads[alert.alertID])
                    #expect(payload.kind == "fraud_alert")
                    #expect(payload.recipient == "operations")
                    #expect(payload.eventID == alert.eventID)
                    #expect(payload.subject.contains(alert.rule))
                }
                let receipt = try #require(payloads[events[0].id.uuidString.lowercased()])
                #expect(receipt.subject == "Payment receipt: 12.50 EUR at mer-0001")
                #expect(try await fixture.deadLetters().isEmpty)
                #expect(try await fixture.pendingCount() == 0)
            }
        }
    }

    @Test func aRedeliveredBatchDoesNotNotifyTwice() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                let events = Fixture.everyEventType()
                for event in events { try await fixture.xadd(event) }
                let alert = Fixture.alert()
                try await fixture.xadd(alert)
                // The same event XADDed a second time: another entry, the same notification.
                try await fixture.xadd(events[0])

                let (handler, connection) = try await fixture.handler(
                    channel: fixture.webhookChannel(url: receiver.url, secret: receiver.secret)
                )
                let deliveries = try await fixture.streamEntries().map { Delivery(entry: $0, message: try handler.decode($0)) }
                #expect(deliveries.count == events.count + 2)
                // Handled twice, as after a crash before the ack, then in other batch sizes.
                for _ in 0..<2 {
                    let outcomes = try await handler.handle(deliveries)
                    #expect(outcomes.count == deliveries.count)
                    #expect(outcomes.values.allSatisfy { $0 == .done })
                }
                for delivery in deliveries {
                    #expect(try await handler.handle([delivery]) == [delivery.key: .done])
                }
                await connection.close()

                let expected = events.count + 1
                #expect(receiver.acceptedKeys.count == expected)
                #expect(Set(receiver.acceptedKeys).count == expected)
                let rows = try await fixture.rows()
                #expect(rows.count == expected)
                #expect(rows.allSatisfy { $0.status == "delivered" && $0.attempts == 1 })
            }
        }
    }

    @Test func aReceiverFailingForAWhileGetsEverythingOnceItRecovers() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                receiver.state.withLock { $0.failing = true }
                let events = (0..<8).map { Fixture.event($0.isMultiple(of: 2) ? .payment : .topup, account: "acc-\($0)") }
                for event in events { try await fixture.xadd(event) }
                try await fixture.xadd(Fixture.alert())
                let expected = events.count + 1

                let channel = fixture.webhookChannel(url: receiver.url, secret: receiver.secret, maxAttempts: 2)
                try await fixture.whileRunning(channel: channel, claimMinIdle: .milliseconds(300), maxDeliveries: 1000) { consumer in
                    // Several runtime redeliveries, each with its in-handler
                    // retries, recorded: three handlings of two attempts. (The
                    // claim counter alone would not do: it also counts claims
                    // of entries still in flight, which the consumer skips, and
                    // a starved machine keeps the first batch in flight long.)
                    var failing: [NotificationFixture.Row] = []
                    try await eventually("entries redelivered and recorded as failed while the receiver fails", timeout: .seconds(90)) {
                        failing = try await fixture.rows()
                        return failing.count == expected && failing.allSatisfy { $0.status == "failed" && $0.attempts >= 6 }
                    }
                    #expect(consumer.counters.snapshot.claimed >= 2 * expected)
                    // The last attempt of a handling on a starved machine may have
                    // missed its deadline instead; every row's error is the
                    // receiver's 500 or that request's failure.
                    #expect(failing.allSatisfy { $0.lastError?.contains("500") == true || $0.lastError?.contains("webhook request failed") == true }, "\(failing.map { $0.lastError ?? "nil" })")
                    #expect(failing.contains { $0.lastError?.contains("500") == true })
                    #expect(receiver.acceptedKeys.isEmpty)

                    receiver.state.withLock { $0.failing = false }
                    try await eventually("everything delivered after the recovery") {
                        try await fixture.deliveredCount() == expected
                    }
                    try await eventually("everything acked") { try await fixture.pendingCount() == 0 }
                }
                let rows = try await fixture.rows()
                #expect(rows.allSatisfy { $0.status == "delivered" && $0.delivered && $0.attempts > 2 })
                // Redeliveries of an entry claimed while in flight may post twice,
                // always under the same key: the receiver sees each notification.
                #expect(Set(receiver.acceptedKeys) == Set(rows.map(\.notificationID)))
                #expect(receiver.state.value.failedOnPurpose >= 2 * expected)
                #expect(receiver.state.value.badSignatures == 0)
                #expect(try await fixture.deadLetters().isEmpty)
            }
        }
    }

    @Test func aReceiverThatStaysDownSendsEntriesToTheDeadLetterStream() async throws {
        try await Fixture.with { fixture in
            let events = [Fixture.event(.payment), Fixture.event(.refund), Fixture.event(.accountBlocked)]
            for event in events { try await fixture.xadd(event) }
            try await fixture.xadd(Fixture.alert())
            let expected = events.count + 1

            // Nothing listens on port 1 of the loopback: every connection is refused.
            // (AsyncHTTPClient keeps trying to connect until the attempt's deadline.)
            let channel = fixture.webhookChannel(url: "http://127.0.0.1:1/hooks", maxAttempts: 2, timeout: .milliseconds(200))
            try await fixture.whileRunning(channel: channel, claimMinIdle: .seconds(1), maxDeliveries: 3) { consumer in
                // Three deliveries a claim idle apart: generous for a loaded 2-core machine.
                try await eventually("every entry dead-lettered", timeout: .seconds(90)) { try await fixture.deadLetters().count == expected }
                try await eventually("nothing left pending") { try await fixture.pendingCount() == 0 }
                // The counter moves just after the MULTI/EXEC that wrote the letters returns.
                try await eventually("every dead letter counted") { consumer.counters.snapshot.deadLettered == expected }
                #expect(consumer.counters.snapshot.deadLettered == expected)
            }
            let letters = try await fixture.deadLetters()
            #expect(Set(letters.compactMap { $0["original.id"] ?? $0["original.alert_id"] })
                == Set(events.map { $0.id.uuidString.lowercased() }).union(try await fixture.rows().filter { $0.kind == "fraud_alert" }.map(\.sourceID)))
            for letter in letters {
                #expect(letter["delivery_count"] == "3")
                #expect(letter["reason"]?.contains("failed 3 deliveries") == true)
                #expect(letter["reason"]?.contains("webhook request failed") == true)
                #expect(letter["group"] == fixture.group)
            }
            let rows = try await fixture.rows()
            #expect(rows.count == expected)
            // Three deliveries of two attempts each, none delivered.
            #expect(rows.allSatisfy { $0.status == "failed" && $0.attempts == 6 && !$0.delivered })
        }
    }

    @Test func aWrongSecretIsRejectedByTheReceiverAndDeadLetteredAtOnce() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                let events = [Fixture.event(.payment), Fixture.event(.topup)]
                for event in events { try await fixture.xadd(event) }

                let channel = fixture.webhookChannel(url: receiver.url, secret: .random())
                try await fixture.whileRunning(channel: channel, claimMinIdle: .seconds(30), maxDeliveries: 5) { _ in
                    try await eventually("both entries dead-lettered") { try await fixture.deadLetters().count == events.count }
                }
                // Refused on the first attempt: a 401 is not retried.
                #expect(receiver.state.value.badSignatures == events.count)
                #expect(receiver.acceptedKeys.isEmpty)
                for letter in try await fixture.deadLetters() {
                    #expect(letter["delivery_count"] == "1")
                    #expect(letter["reason"]?.contains("webhook answered 401 (permanent)") == true)
                }
                let rows = try await fixture.rows()
                #expect(rows.allSatisfy { $0.status == "failed" && $0.attempts == 1 && $0.lastError?.contains("401") == true })
                #expect(try await fixture.pendingCount() == 0)
            }
        }
    }

    @Test func aBatchIsDeliveredConcurrentlyWithinTheBound() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                receiver.state.withLock { $0.delay = .milliseconds(100) }
                for index in 0..<24 { try await fixture.xadd(Fixture.event(.payment, account: "acc-\(index)")) }
                let (handler, connection) = try await fixture.handler(
                    channel: fixture.webhookChannel(url: receiver.url, secret: receiver.secret), concurrency: 4
                )
                let deliveries = try await fixture.streamEntries().map { Delivery(entry: $0, message: try handler.decode($0)) }
                let outcomes = try await handler.handle(deliveries)
                await connection.close()
                #expect(outcomes.values.filter { $0 == .done }.count == 24)
                #expect(receiver.acceptedKeys.count == 24)
                let maxInFlight = receiver.state.value.maxInFlight
                #expect(maxInFlight > 1, "deliveries were sent one at a time")
                #expect(maxInFlight <= 4, "more than NOTIFICATION_CONCURRENCY requests at once")
            }
        }
    }

    @Test func anEntryThatDoesNotDecodeIsDeadLetteredAtOnce() async throws {
        try await Fixture.with { fixture in
            try await fixture.xadd(stream: fixture.eventsStream, fields: [("id", "not-a-uuid"), ("type", "payment")])
            var alert = Fixture.alert().fields
            alert[1] = ("event_id", "not-a-uuid")
            try await fixture.xadd(stream: fixture.alertsStream, fields: alert)
            try await fixture.whileRunning(channel: fixture.webhookChannel(url: "http://127.0.0.1:1/hooks")) { _ in
                try await eventually("both entries dead-lettered") { try await fixture.deadLetters().count == 2 }
            }
            let reasons = try await fixture.deadLetters().compactMap { $0["reason"] }
            #expect(reasons.allSatisfy { $0.hasPrefix("malformed entry:") })
            #expect(reasons.contains { $0.contains("event_id") })
            #expect(try await fixture.rows().isEmpty)
        }
    }
}

extension WebhookDeliveryTests {
    /// The service's own client opens as many connections as deliveries in
    /// flight; the shared client would stop at AsyncHTTPClient's 8 per host
    /// and queue the rest, their wait counting against their timeout.
    @Test func theServiceClientKeepsAsManyRequestsInFlightAsTheConcurrency() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                receiver.state.withLock { $0.delay = .milliseconds(300) }
                for index in 0..<24 { try await fixture.xadd(Fixture.event(.topup, account: "acc-\(index)")) }
                // A generous timeout, as `NotificationFixture.webhookChannel`
                // has: what is asserted is how many requests are in flight, and
                // a machine starting a hundred suites at once starved 9 of the
                // 24 past the default 2 s.
                let channel = WebhookChannel(
                    settings: WebhookSettings(url: receiver.url, secret: receiver.secret, timeout: .seconds(30)),
                    concurrency: 12, logger: Fixture.quietLogger
                )
                let (handler, connection) = try await fixture.handler(channel: channel, concurrency: 12)
                let deliveries = try await fixture.streamEntries().map { Delivery(entry: $0, message: try handler.decode($0)) }
                let outcomes = try await handler.handle(deliveries)
                await connection.close()
                await channel.shutdown()
                #expect(outcomes.values.filter { $0 == .done }.count == 24)
                let maxInFlight = receiver.state.value.maxInFlight
                #expect(maxInFlight > 8, "capped by the HTTP client's pool")
                #expect(maxInFlight <= 12)
            }
        }
    }
}
