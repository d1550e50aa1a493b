import Foundation
import PayFlowAnalytics
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// Simulated traffic through real consumer-group replicas: redeliveries,
/// duplicate entries, a replica cancelled mid-run, and still exact figures.
@Suite("Analytics exact counts")
struct ExactCountTests {
    typealias Fixture = AnalyticsFixture

    @Test func twoReplicasOneCancelledMidRunCountEveryDistinctEventOnce() async throws {
        try await Fixture.with(redisDatabase: .analyticsReplicas) { fixture in
            // A few thousand events; injected duplicate_event inconsistencies
            // are already two entries each. Add redeliveries of our own:
            // every 25th event written again later, as a second entry.
            let simulated = Traffic.events(seed: 42, count: 4000)
            let again = stride(from: 0, to: simulated.count, by: 25).map { simulated[$0] }
            let events = simulated + again
            let alerts = (0..<60).map { Fixture.alert(rule: ["velocity", "amount_spike", "new_device"][$0 % 3]) }
            let mismatches = (0..<30).map { Fixture.mismatch(kind: ["amount_mismatch", "duplicate_event"][$0 % 2]) }
            let messages: [AnalyticsMessage] = events.map(AnalyticsMessage.event)
                + alerts.map(AnalyticsMessage.alert) + alerts.prefix(10).map(AnalyticsMessage.alert)
                + mismatches.map(AnalyticsMessage.mismatch) + mismatches.prefix(5).map(AnalyticsMessage.mismatch)
            let expected = ExpectedFigures(events)
            #expect(Set(events.map(\.id)).count < events.count, "the traffic has duplicate entries")

            // A consumer that read entries and died without acking: they stay
            // pending until a replica claims them.
            try await fixture.xadd(Array(messages.prefix(500)))
            for stream in fixture.streams.all {
                try await fixture.redis.send(RedisCommand("XGROUP", "CREATE", stream, fixture.group, "0", "MKSTREAM"))
                try await fixture.redis.send(RedisCommand("XREADGROUP", "GROUP", fixture.group, "dead-consumer", "COUNT", "200", "STREAMS", stream, ">"))
            }
            try await fixture.xadd(Array(messages.dropFirst(500)))

            let processA = try await fixture.process("replica-a", batchSize: 50)
            let processB = try await fixture.process("replica-b", batchSize: 50)
            let replicaA = try #require(processA.workers.compactMap { $0 as? ConsumerGroupService<AnalyticsHandler> }.first)
            let replicaB = try #require(processB.workers.compactMap { $0 as? ConsumerGroupService<AnalyticsHandler> }.first)
            try await withApplicationsRunning([processA]) {
                // Replica B runs beside A until part of the backlog is done,
                // then is cancelled, not shut down gracefully: whatever it
                // held stays pending and A claims it.
                let b = Task { try await replicaB.run() }
                try await eventually("replica B processed a few batches") {
                    replicaB.counters.snapshot.processed >= 200
                }
                b.cancel()
                _ = await b.result
                try await eventually("every entry acked", timeout: .seconds(120)) {
                    let pending = try await fixture.pendingCount()
                    let totals = try await fixture.queries.summary().totals
                    return pending == 0 && totals == expected.totals
                }
            }
            await processB.close()
            // The dead consumer's 200 entries, and whatever B held, came through XAUTOCLAIM.
            #expect(replicaA.counters.snapshot.claimed + replicaB.counters.snapshot.claimed >= 200)

            let summary = try await fixture.queries.summary()
            #expect(summary.totals == expected.totals)
            #expect(summary.totals.reduce(0) { $0 + $1.count } == Int64(Set(events.map(\.id)).count))
            #expect(summary.alerts == Int64(alerts.count))
            #expect(summary.mismatches == Int64(mismatches.count))
            #expect(summary.blockedAccounts == expected.blockedAccounts)
            let top = try await fixture.queries.topAccounts(limit: 100, currency: nil)
            for spend in top {
                #expect(expected.spend["\(spend.account)/\(spend.currency)"] == spend)
            }
            let facts = try await fixture.database.query("SELECT count(*) FROM analytics_events").first!.decode(0, as: Int.self)
            #expect(facts == Set(events.map(\.id)).count)
        }
    }
}
