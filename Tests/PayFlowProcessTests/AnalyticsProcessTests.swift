import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// `payflow analytics` as an operator runs it, killed with SIGKILL while it
/// drains a backlog: the next process claims what the dead one held and the
/// figures come out exact. Redis database ``RedisTestDatabase/analyticsProcess`` (the stream names are the real,
/// fixed ones) and a PostgreSQL database of its own.
@Suite("payflow analytics process")
struct AnalyticsProcessTests {
    @Test func killedMidBacklogThenRestartedCountsEveryEventOnce() async throws {
        try await IntegrationFixture.with(redisDatabase: .analyticsProcess, migration: .withTheBinary) { fixture in
            let (redis, redisURL, url, database) = (fixture.redis, fixture.redisURL, fixture.databaseURL, fixture.database)

            // 20,000 payments, every tenth written twice (a second entry of the same event).
            let start = EventTimestamp(rfc3339: "2026-03-02T08:00:00Z")!
            var events: [PaymentEvent] = []
            for index in 0..<20_000 {
                events.append(PaymentEvent(
                    id: UUID(), type: .payment, occurredAt: start.adding(microseconds: Int64(index) * 250_000),
                    account: "acc-\(index % 97)", amount: Int64(index % 1000 + 1), currency: index % 2 == 0 ? .eur : .usd,
                    details: .init(merchant: "mer-1", country: "DE", ip: "10.0.0.1", device: "dev-1")
                ))
            }
            let entries = events + stride(from: 0, to: events.count, by: 10).map { events[$0] }
            var commands: [RedisCommand] = []
            for event in entries {
                var command = RedisCommand("XADD", StreamNames.events, "*")
                for field in event.fields {
                    command.append(field.name)
                    command.append(field.value)
                }
                commands.append(command)
            }
            for chunk in stride(from: 0, to: commands.count, by: 1000) {
                for reply in try await redis.pipeline(Array(commands[chunk..<min(chunk + 1000, commands.count)])) { try reply.orThrow() }
            }

            let environment = [
                "REDIS_URL": redisURL, "DATABASE_URL": url, "HTTP_PORT": "0", "LOG_LEVEL": "warning",
                "STREAM_BLOCK_MS": "200", "STREAM_BATCH_SIZE": "200",
                "CLAIM_MIN_IDLE_MS": "1000", "CLAIM_INTERVAL_MS": "200",
            ]
            func recorded() async throws -> (facts: Int, counted: Int, sum: Int64) {
                let row = try #require(try await database.query(
                    """
                    SELECT (SELECT count(*) FROM analytics_events),
                           (SELECT coalesce(sum(event_count), 0) FROM analytics_event_minutes),
                           (SELECT coalesce(sum(amount_sum), 0) FROM analytics_event_minutes)
                    """
                ).first)
                return (try row.decode(0), try row.decode(1), try row.decode(2))
            }

            var first = environment
            first["CONSUMER_NAME"] = "analytics-a"
            let victim = try PayFlowProcess(["analytics"], environment: first)
            try await eventually("the first process to record part of the backlog", timeout: .seconds(60)) {
                try await recorded().facts >= 3000
            }
            victim.signal(SIGKILL)
            _ = try await victim.waitForExit(timeout: .seconds(30))
            let atKill = try await recorded()
            #expect(atKill.facts < events.count, "killed before the backlog was drained")

            var second = environment
            second["CONSUMER_NAME"] = "analytics-b"
            let survivor = try PayFlowProcess(["analytics"], environment: second)
            try await eventually("the backlog drained and nothing pending", timeout: .seconds(180)) {
                let pending = try await redis.send(RedisCommand("XPENDING", StreamNames.events, "analytics")).array?.first?.integer
                // XINFO GROUPS: flat name/value pairs per group; `lag` 0 = every entry delivered.
                let group = try await redis.send(RedisCommand("XINFO", "GROUPS", StreamNames.events)).array?.first?.array ?? []
                let lagIndex = group.firstIndex { $0.string == "lag" }
                let lag = lagIndex.flatMap { group[$0 + 1].integer }
                let facts = try await recorded().facts
                return pending == 0 && lag == 0 && facts == events.count
            }
            survivor.signal(SIGTERM)
            let status = try await survivor.waitForExit(timeout: .seconds(30))
            #expect(status == 0, "\(survivor.output)")

            let final = try await recorded()
            #expect(final.facts == events.count)
            #expect(final.counted == events.count)
            #expect(final.sum == events.map(\.amount).reduce(0, +))
        }
    }
}
