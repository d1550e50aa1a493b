import Foundation
import PayFlowAntiFraud
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// With `EVENT_SHARDS`, an account's rule state lives under its shard's hash
/// tag, in the slot of the streams that carry its events (issue 17): a
/// resharding moves a shard's state with its streams, and state and acks
/// share a master. Judged exactly as under the account's own tag.
@Suite("Anti-fraud state under the shard's tag")
struct ShardedStateTests {
    @Test func eachAccountsStateLivesUnderItsShardsTagAndIsJudgedAlike() async throws {
        try await AntiFraudFixture.with { fixture in
            let shards = StreamShards(count: 3)
            let sharded = AccountStateStore(configuration: fixture.configuration, shards: shards, redis: fixture.redis)
            var unshardedConfiguration = fixture.configuration
            unshardedConfiguration.keyPrefix += ":one"
            let unsharded = AccountStateStore(configuration: unshardedConfiguration, redis: fixture.redis)

            // Five payments within a minute on each of six accounts: a velocity alert each.
            let accounts = (1...6).map { "acc-shard-\($0)" }
            let details = PaymentEvent.Details(merchant: "m-0001", country: "DE", ip: "11.0.0.1", device: "dev-1")
            let events = accounts.flatMap { account in
                (0..<5).map { second in
                    PaymentEvent(
                        id: UUID(), type: .payment, occurredAt: Traffic.start.adding(microseconds: Int64(second) * 10_000_000),
                        account: account, amount: 1_000, currency: .eur, details: details
                    )
                }
            }
            let entries = events.indices.map { StreamEntryID(milliseconds: UInt64($0 + 1), sequence: 0) }
            let onShards = try await sharded.evaluate(events, entries: entries)
            let alone = try await unsharded.evaluate(events, entries: entries)
            #expect(!onShards.alerts.isEmpty)
            #expect(Set(onShards.alerts.map(\.alertID)) == Set(alone.alerts.map(\.alertID)), "the shard's tag changes where state lives, not the verdicts")

            for account in accounts {
                let tag = try #require(shards.shard(ofAccount: account).tag)
                let underShard = "\(fixture.configuration.keyPrefix):{\(tag)}:\(account):p"
                let underAccount = "\(fixture.configuration.keyPrefix):{\(account)}:p"
                #expect(try await fixture.redis.send(RedisCommand("ZCARD", underShard)).integer == 5, "\(underShard)")
                #expect(try await fixture.redis.send(RedisCommand("EXISTS", underAccount)).integer == 0, "\(underAccount)")
                #expect(ClusterSlot(key: underShard) == shards.shard(ofAccount: account).slot, "in the slot of the account's events")
            }
        }
    }
}
