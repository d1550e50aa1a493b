import Foundation
import PayFlowDomain
import PayFlowNotification
import PayFlowPostgres
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// A notification batch whose deliveries outlast `CLAIM_MIN_IDLE_MS` is not
/// claimed by another replica while in flight (``ClaimKeepAlive``): no
/// webhook is sent twice, counted at the receiver.
@Suite("Notification: a slow batch is not claimed in flight")
struct InFlightClaimTests {
    typealias Fixture = NotificationFixture

    @Test func aBatchSlowerThanTheClaimIdleIsNotSentTwiceByAnotherReplica() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            try await Fixture.with { fixture in
                // Six deliveries of 2 s one at a time: a 12 s batch against an 8 s claim idle,
                // claimed by the other replica's claim loop (every 100 ms) unless renewed. The
                // renewals come every 2.7 s: 5.3 s of margin for a starved CI machine (2.7 s
                // was not enough once: a CI run starting a hundred suites at once on a debug
                // build sent all six twice).
                receiver.state.withLock { $0.delay = .milliseconds(2000) }
                let count = 6
                for index in 0..<count { try await fixture.xadd(Fixture.event(.payment, account: "acc-\(index)")) }
                var consumers: [ConsumerGroupService<NotificationHandler>] = []
                var connections: [PostgresConnection] = []
                for name in ["replica-1", "replica-2"] {
                    let (handler, connection) = try await fixture.handler(
                        channel: fixture.webhookChannel(url: receiver.url, secret: receiver.secret), concurrency: 1
                    )
                    var configuration = fixture.groupConfiguration(claimMinIdle: .seconds(8))
                    configuration.consumerName = name
                    consumers.append(ConsumerGroupService(
                        configuration: configuration, redis: fixture.redisConfiguration, handler: handler, logger: Fixture.quietLogger
                    ))
                    connections.append(connection)
                }
                let outcome: Result<Void, any Error>
                do {
                    try await withServicesRunning(consumers) {
                        try await eventually("every notification delivered", timeout: .seconds(60)) {
                            try await fixture.deliveredCount() == count
                        }
                        try await eventually("nothing pending") { try await fixture.pendingCount() == 0 }
                    }
                    outcome = .success(())
                } catch {
                    outcome = .failure(error)
                }
                for connection in connections { await connection.close() }
                try outcome.get()

                let keys = receiver.acceptedKeys
                #expect(Set(keys).count == count)
                #expect(keys.count == count, "webhooks received \(keys.count) times for \(count) notifications")
                #expect(receiver.state.value.requests == count, "\(receiver.state.value.requests) requests")
                #expect(consumers.allSatisfy { $0.counters.snapshot.claimed == 0 }, "an entry was claimed in flight")
            }
        }
    }
}
