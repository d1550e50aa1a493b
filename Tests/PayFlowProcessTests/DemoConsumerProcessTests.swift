import Foundation
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// Signals and crashes delivered to real `payflow demo-consumer` processes,
/// with real Redis and PostgreSQL: the promises an operator relies on.
///
/// Each test uses its own Redis database number and its own PostgreSQL
/// database, because the demo consumer's stream and group names are fixed.
@Suite("payflow processes under signals")
struct DemoConsumerProcessTests {
    struct Setup {
        var redis: RedisConnection
        var redisURL: String
        var databaseURL: String
        var database: PostgresConnection

        var environment: [String: String] {
            [
                "REDIS_URL": self.redisURL, "DATABASE_URL": self.databaseURL, "HTTP_PORT": "0",
                "LOG_LEVEL": "info", "STREAM_BLOCK_MS": "200",
            ]
        }

        func addEvents(_ count: Int) async throws {
            var commands: [RedisCommand] = []
            for index in 1...count {
                commands.append(RedisCommand("XADD", "payflow:events", "*", "id", "evt-\(index)", "type", "payment"))
            }
            for reply in try await self.redis.pipeline(commands) { try reply.orThrow() }
        }

        func pending(consumer: String? = nil) async throws -> Int {
            let reply = try await self.redis.pipeline([RedisCommand("XPENDING", "payflow:events", "demo")])[0]
            guard let summary = reply.array, summary.count == 4 else { return -1 }
            guard let consumer else { return Int(summary[0].integer ?? 0) }
            for row in summary[3].array ?? [] where row.array?.first?.string == consumer {
                return Int(row.array?[1].integer ?? 0)
            }
            return 0
        }

        func recordedRows() async throws -> (total: Int, distinct: Int) {
            let row = try #require(try await self.database.query(
                "SELECT count(*), count(DISTINCT event_id) FROM processed_events WHERE consumer_group = $1", ["demo"]
            ).first)
            return (try row.decode(0, as: Int.self), try row.decode(1, as: Int.self))
        }
    }

    /// A test's own Redis database and PostgreSQL database, migrated.
    private func withSetup(redisDatabase: RedisTestDatabase, _ body: (Setup) async throws -> Void) async throws {
        try await IntegrationFixture.with(redisDatabase: redisDatabase, migration: .withTheBinary) { fixture in
            try await body(Setup(redis: fixture.redis, redisURL: fixture.redisURL, databaseURL: fixture.databaseURL, database: fixture.database))
        }
    }

    @Test func sigtermDuringABatchExitsZeroAndLeavesNothingPending() async throws {
        try await self.withSetup(redisDatabase: .demoConsumerSigterm) { setup in
            try await setup.addEvents(300)
            var environment = setup.environment
            environment["CONSUMER_NAME"] = "replica-a"
            environment["STREAM_BATCH_SIZE"] = "100"
            // Three batches of 1.5 s: a window no poll misses, even on a loaded machine.
            environment["DEMO_BATCH_DELAY_MS"] = "1500"
            let consumer = try PayFlowProcess(["demo-consumer"], environment: environment)
            try await consumer.waitForOutput("Consumer started")

            do {
                try await eventually("replica-a to hold a batch in flight", timeout: .seconds(60)) {
                    try await setup.pending(consumer: "replica-a") > 0 || !consumer.process.isRunning
                }
            } catch {
                Issue.record("replica-a never held a batch; its output:\n\(consumer.output.suffix(3000))")
                throw error
            }
            try #require(consumer.process.isRunning, "replica-a exited before taking a batch:\n\(consumer.output.suffix(3000))")
            consumer.signal(SIGTERM)
            let status = try await consumer.waitForExit(timeout: .seconds(30))
            #expect(status == 0, "exit status \(status); output:\n\(consumer.output)")
            #expect(try await setup.pending(consumer: "replica-a") == 0, "the batch in flight was acked before exit")
            let afterStop = try await setup.recordedRows()
            #expect(afterStop.total >= 100)

            // A second run takes the rest: nothing lost, nothing doubled.
            environment["DEMO_BATCH_DELAY_MS"] = "0"
            let second = try PayFlowProcess(["demo-consumer"], environment: environment)
            try await eventually("all 300 events recorded") { try await setup.recordedRows().total == 300 }
            // On a loaded machine the first run may have finished everything; the
            // signal must still reach a started process, not one still loading.
            try await second.waitForOutput("Consumer started")
            second.signal(SIGINT)
            let secondStatus = try await second.waitForExit(timeout: .seconds(30))
            #expect(secondStatus == 0, "exit status \(secondStatus); output:\n\(second.output.suffix(3000))")
            let rows = try await setup.recordedRows()
            #expect(rows.total == 300 && rows.distinct == 300)
            #expect(try await setup.pending() == 0)
        }
    }

    @Test func entriesOfAKilledReplicaAreClaimedByAnother() async throws {
        try await self.withSetup(redisDatabase: .demoConsumerClaim) { setup in
            try await setup.addEvents(200)
            var environment = setup.environment
            environment["STREAM_BATCH_SIZE"] = "50"
            environment["CLAIM_MIN_IDLE_MS"] = "500"
            environment["CLAIM_INTERVAL_MS"] = "100"

            var doomedEnvironment = environment
            doomedEnvironment["CONSUMER_NAME"] = "doomed"
            doomedEnvironment["DEMO_BATCH_DELAY_MS"] = "60000"
            let doomed = try PayFlowProcess(["demo-consumer"], environment: doomedEnvironment)
            try await doomed.waitForOutput("Consumer started")
            try await eventually("the doomed replica to take a batch") { try await setup.pending(consumer: "doomed") == 50 }
            doomed.signal(SIGKILL)
            _ = try await doomed.waitForExit(timeout: .seconds(10))
            #expect(try await setup.recordedRows().total == 0)

            environment["CONSUMER_NAME"] = "survivor"
            let survivor = try PayFlowProcess(["demo-consumer"], environment: environment)
            try await survivor.waitForOutput("Consumer started")
            try await eventually("the survivor to record all 200 events") {
                let recorded = try await setup.recordedRows().total
                let pending = try await setup.pending()
                return recorded == 200 && pending == 0
            }
            survivor.signal(SIGTERM)
            #expect(try await survivor.waitForExit(timeout: .seconds(30)) == 0)
            let rows = try await setup.recordedRows()
            #expect(rows.total == 200 && rows.distinct == 200)
            #expect(survivor.output.contains("Claimed idle entries"))
        }
    }

    @Test func aMalformedSettingStopsTheProcessWithItsName() async throws {
        let result = try await PayFlowProcess.run(["demo-consumer"], environment: ["STREAM_BATCH_SIZE": "many"])
        #expect(result.status != 0)
        #expect(result.output.contains("STREAM_BATCH_SIZE"))
        #expect(!result.output.contains("Fatal error"))
    }
}
