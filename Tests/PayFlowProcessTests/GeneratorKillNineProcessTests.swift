import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// `payflow generator` killed with `kill -9` mid-run and started again on
/// the same data, as an operator's crash would: each new process continues
/// the world (business time never goes back, the runs share one world) and
/// the ledger and the stream still agree but for the labelled
/// inconsistencies, whether or not a kill fell between a commit and its
/// XADDs.
@Suite("payflow generator after kill -9")
struct GeneratorKillNineProcessTests {
    private static func streamEvents(_ redis: RedisConnection) async throws -> [PaymentEvent] {
        let reply = try await redis.send(RedisCommand("XRANGE", StreamNames.events, "-", "+"))
        return try (reply.array ?? []).map { item in
            let flat = try #require(item.array?[1].array)
            var fields: [(name: String, value: String)] = []
            for index in stride(from: 0, to: flat.count, by: 2) {
                fields.append((flat[index].string ?? "", flat[index + 1].string ?? ""))
            }
            return try PaymentEvent(fields: fields)
        }
    }

    private static func ids(_ database: PostgresConnection, _ sql: String) async throws -> Set<UUID> {
        Set(try await database.query(sql).rows.map { try $0.decode(0, as: UUID.self) })
    }

    @Test func eachProcessContinuesTheWorldAndTheLedgerAndStreamAgree() async throws {
        try await IntegrationFixture.with(redisDatabase: .generatorKillNine, migration: .withTheBinary) { fixture in
            // HTTP_PORT 0: the kernel picks a free port. A random one in
            // 30,000-39,999 lies in Linux's ephemeral range (32,768-60,999),
            // where another test's outgoing connection may hold it; the
            // process then exits at start and never emits.
            let environment = [
                "REDIS_URL": fixture.redisURL, "DATABASE_URL": fixture.databaseURL, "GENERATOR_MAX_LAG": "0", "HTTP_PORT": "0",
            ]
            func length() async throws -> Int {
                Int(try await fixture.redis.send(RedisCommand("XLEN", StreamNames.events)).integer ?? 0)
            }
            for kill in 1...3 {
                let before = try await length()
                let generator = try PayFlowProcess(
                    ["generator", "--start", "--unlimited", "--total", "1000000"] + (kill == 1 ? ["--seed", "17"] : []),
                    environment: environment
                )
                try await eventually("process \(kill) to emit", timeout: .seconds(180)) { try await length() >= before + 2_000 }
                generator.signal(SIGKILL)
                _ = try await generator.waitForExit(timeout: .seconds(30))
            }
            let last = try PayFlowProcess(
                ["generator", "--start", "--unlimited", "--total", "2000"],
                environment: environment
            )
            try await last.waitForOutput("Generator run complete", timeout: .seconds(180))
            last.signal(SIGTERM)
            #expect(try await last.waitForExit(timeout: .seconds(30)) == 0, "\(last.output)")

            let stream = try await Self.streamEvents(fixture.redis)
            let times = stream.map(\.occurredAt)
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "business time went back at a restart")
            var copies: [UUID: Int] = [:]
            for event in stream { copies[event.id, default: 0] += 1 }
            let ledger = try await Self.ids(fixture.database, "SELECT transaction_id FROM reference_transactions")
            let missingInStream = try await Self.ids(
                fixture.database, "SELECT transaction_id FROM generator_ground_truth WHERE name = 'missing_in_stream'"
            )
            let duplicates = try await Self.ids(fixture.database, "SELECT transaction_id FROM generator_ground_truth WHERE name = 'duplicate_event'")
            #expect(ledger.subtracting(copies.keys) == missingInStream, "ledger rows missing on the stream, unlabelled")
            #expect(Set(copies.filter { $0.value > 1 }.keys) == duplicates, "events on the stream twice, unlabelled")
            let worlds = try await fixture.database.query("SELECT DISTINCT world FROM generator_runs").rows.map { try $0.decode(0, as: Int.self) }
            #expect(worlds == [1], "every process continued the first world")
        }
    }
}
