import Foundation
import PayFlowAntiFraud
import PayFlowDomain
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// The account-state script refreshes its keys' expiry only when a key was
/// created or the last refresh is older than 1 % of the TTL (an `EXPIRE` per
/// key on every event was a fifth of the script's Redis time). What must hold
/// whatever it skips: no key of an account is ever left without a TTL, and
/// every key lives at least 99 % of the TTL after the account's last event,
/// also a key the event did not write. Real Redis; unique key names.
@Suite("Anti-fraud state expiry")
struct StateExpiryTests {
    /// Long enough that a slow machine's seconds between two steps do not matter.
    private static let ttl = 100_000
    /// A key refreshed by the step just run has at least this much TTL left (ms).
    private static let fresh = (ttl - 300) * 1_000

    @Test func everyKeyOfAnAccountLivesTheTTLAfterItsLastEvent() async throws {
        try await AntiFraudFixture.with { fixture in
            var fixture = fixture
            fixture.configuration.stateTTLSeconds = Self.ttl
            let account = "acc-expiry"
            let keys = ["p", "pa", "t", "st", "rf"].map { "\(fixture.configuration.keyPrefix):{\(account)}:\($0)" }
            func event(_ type: EventType, seconds: Int64, amount: Int64 = 1_000, details: PaymentEvent.Details = .init()) -> PaymentEvent {
                PaymentEvent(
                    id: UUID(), type: type, occurredAt: Traffic.start.adding(microseconds: seconds * 1_000_000),
                    account: account, amount: amount, currency: .eur, details: details
                )
            }
            let pay = PaymentEvent.Details(merchant: "m-0001", country: "DE", ip: "11.0.0.1", device: "dev-1")
            /// Remaining TTL in ms of every key that exists (-1: no TTL).
            func ttls() async throws -> [String: Int64] {
                var found: [String: Int64] = [:]
                for key in keys {
                    let ttl = try #require(try await fixture.redis.send(RedisCommand("PTTL", key)).integer)
                    if ttl != -2 { found[key] = ttl }
                }
                return found
            }
            /// Makes every key look refreshed `seconds` ago.
            func age(by seconds: Int) async throws {
                for key in try await ttls().keys {
                    _ = try await fixture.redis.send(RedisCommand("EXPIRE", key, String(Self.ttl - seconds)))
                }
            }
            func expectAllFresh(_ comment: Comment) async throws {
                let found = try await ttls()
                #expect(found.values.allSatisfy { $0 > Self.fresh }, "\(comment): \(found)")
            }

            try await fixture.handle([event(.payment, seconds: 0, details: pay)])
            #expect(try await ttls().count == 2)
            try await expectAllFresh("the first payment's keys")

            // A key created later (the first top-up) gets a TTL, and so do the others.
            try await age(by: 600)
            try await fixture.handle([event(.topup, seconds: 60, amount: 50_000, details: .init(source: "bank"))])
            #expect(try await ttls().count == 3)
            try await expectAllFresh("after the first top-up")

            // A refresh older than 1 % of the TTL: a payment refreshes the top-ups' key too.
            try await age(by: 2_000)
            try await fixture.handle([event(.payment, seconds: 120, details: pay)])
            try await expectAllFresh("a payment 2,000 s after the last refresh")

            // Within 1 %: nothing is refreshed, and nothing is left without a TTL.
            try await age(by: 600)
            try await fixture.handle([event(.payment, seconds: 180, details: pay)])
            let found = try await ttls()
            #expect(found.values.allSatisfy { $0 > 0 && $0 <= (Self.ttl - 600) * 1_000 }, "\(found)")

            // A status change creates its key: every key is fresh again.
            try await fixture.handle([event(.accountBlocked, seconds: 240, details: .init(reason: "review"))])
            #expect(try await ttls().count == 4)
            try await expectAllFresh("after the first block")
        }
    }
}
