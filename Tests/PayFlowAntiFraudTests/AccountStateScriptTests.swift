import Foundation
@testable import PayFlowAntiFraud
import PayFlowDomain
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// The account-state script carries its thresholds as literals (one script
/// text per configuration) and keeps the stored format of the version before
/// it: an upgrade finds up to 7 days of state in Redis that the previous
/// script wrote, and `redis-cli` readers rely on the members' layout. Real
/// Redis; unique key names.
@Suite("Anti-fraud account-state script")
struct AccountStateScriptTests {
    @Test func everyThresholdIsALiteralOfTheScript() {
        var configuration = AntiFraudConfiguration()
        configuration.velocityMaxPayments = 7
        configuration.blockedGraceMicroseconds = 30_000_000
        let source = AccountStateScript.source(configuration)
        // A `$` and a letter left is a placeholder nobody replaced (in Lua a `$` only
        // ends a pattern).
        #expect(source.firstMatch(of: #/\$[A-Za-z]/#) == nil, "placeholders left in the script")
        #expect(!AccountStateScript.constants(configuration).contains { source.contains($0.placeholder) })
        #expect(source.contains("count > 7 then"))
        #expect(source.contains("if 30000000 > 0 then"))
        #expect(source != AccountStateScript.source(AntiFraudConfiguration()))
    }

    /// Two replicas with different thresholds on one Redis: each runs its own
    /// script (another text, another digest), never the other's.
    @Test func aStoreRunsTheScriptOfItsOwnConfiguration() async throws {
        try await AntiFraudFixture.with { fixture in
            var strict = fixture
            strict.configuration.velocityMaxPayments = 2
            strict.configuration.keyPrefix += ":strict"
            let pay = PaymentEvent.Details(merchant: "m-0001", country: "DE", ip: "11.0.0.1", device: "dev-1")
            func burst() -> [PaymentEvent] {
                (0..<4).map { second in
                    PaymentEvent(
                        id: UUID(), type: .payment, occurredAt: Traffic.start.adding(microseconds: Int64(second) * 10_000_000),
                        account: "acc-burst", amount: 1_000, currency: .eur, details: pay
                    )
                }
            }
            let lenient = burst()
            try await fixture.handle(lenient)
            let tight = burst()
            try await strict.handle(tight)
            let rows = try await fixture.alertRows().values
            // 4 payments in 30 s: above 2, not above the default 4.
            #expect(Set(rows.map(\.event)) == Set(tight[2...].map(\.id)))
            #expect(rows.allSatisfy { $0.rule == "velocity" })
        }
    }

    /// State as the previous script version wrote it (written here by hand,
    /// member by member) is judged as before, and what this version writes has
    /// the same layout.
    @Test func stateOfThePreviousVersionIsJudgedAndItsFormatKept() async throws {
        try await AntiFraudFixture.with { fixture in
            let account = "acc-upgrade"
            let base = "\(fixture.configuration.keyPrefix):{\(account)}:"
            let start = Traffic.start.microsecondsSinceEpoch
            func send(_ arguments: String...) async throws {
                _ = try await fixture.redis.send(RedisCommand(arguments[0], Array(arguments.dropFirst()))).orThrow()
            }
            // Four payments of 1,000 at home in the last minute, a top-up of 100,000 before them.
            let earlier = (0..<4).map { _ in UUID().uuidString.lowercased() }
            for (index, id) in earlier.enumerated() {
                try await send("ZADD", base + "p", String(start + Int64(index) * 10_000_000), "\(id)|1000|DE|europe|m-000\(index)")
                try await send("HSET", base + "pa", id, "1000")
            }
            let topup = UUID().uuidString.lowercased()
            try await send("ZADD", base + "t", String(start - 10_000_000), "\(topup)|100000")

            func event(_ type: EventType, seconds: Int64, amount: Int64, details: PaymentEvent.Details) -> PaymentEvent {
                PaymentEvent(
                    id: UUID(), type: type, occurredAt: Traffic.start.adding(microseconds: seconds * 1_000_000),
                    account: account, amount: amount, currency: .eur, details: details
                )
            }
            // A fifth payment within a minute, from France, that spends the top-up.
            let payment = event(.payment, seconds: 50, amount: 80_000, details: .init(merchant: "m-0009", country: "FR", ip: "11.0.0.2", device: "dev-2"))
            // A refund above the first stored payment.
            let refund = event(.refund, seconds: 60, amount: 1_500, details: .init(merchant: "m-0000", originalPaymentID: UUID(uuidString: earlier[0])))
            try await fixture.handle([payment, refund])

            let rules = try await fixture.alertRows().values.map { "\($0.event == payment.id ? "payment" : "refund") \($0.rule)" }
            #expect(Set(rules) == ["payment velocity", "payment impossible_travel", "payment topup_drain", "refund refund_abuse"])

            let id = payment.id.uuidString.lowercased()
            let stored = try await fixture.redis.send(RedisCommand("ZRANGE", base + "p", "-1", "-1", "WITHSCORES")).orThrow().array?.compactMap(\.string)
            #expect(stored == ["\(id)|80000|FR|europe|m-0009", String(start + 50_000_000)])
            #expect(try await fixture.redis.send(RedisCommand("HGET", base + "pa", id)).string == "80000")
            let refunds = try await fixture.redis.send(RedisCommand("ZRANGE", base + "rf", "0", "-1")).orThrow().array?.compactMap(\.string)
            #expect(refunds == ["\(refund.id.uuidString.lowercased())|\(earlier[0])|1500"])
        }
    }
}
