import Foundation
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// What Redis can lose, and what the platform does about it.
///
/// - `appendfsync always`: every write is on disk before Redis replies;
///   neither `kill -9` nor a host crash loses anything acknowledged.
/// - `appendfsync everysec` (shipped): Redis writes the AOF file before it
///   replies, except while its once-a-second background fsync is still
///   running: then it replies and holds the writes back until the fsync is
///   done (at most 2 s). `kill -9` of the process loses those held-back
///   writes: usually none or a few milliseconds' worth, up to 2 s on a
///   lagging disk. A host crash loses what the kernel had not flushed too,
///   up to about a second more. What is lost is always a tail: the AOF is a
///   log.
///
/// This test cuts that tail on purpose (the file truncated back to an
/// earlier size after `kill -9`, as a host crash would leave it) and checks
/// what each lost write means:
/// - a lost `XACK`: the entry is pending again and is delivered again
///   (handlers are idempotent by event id);
/// - a lost `XADD` of an outbox row (an alert, a mismatch) marked published:
///   ``StreamOutboxRepair`` publishes it again, once;
/// - a lost `XADD` of an event: gone from the stream while the ledger has it;
///   reconciliation reports it `missing_in_stream` unless it had already
///   handled it (the generator cannot know; it is not repaired).
@Suite("Redis losing the tail of its AOF")
struct RedisAOFLossTests {
    @Test func lostAcksAreDeliveredAgainAndLostOutboxEntriesArePublishedAgain() async throws {
        let redis = try PrivateRedis(appendfsync: "everysec")
        try await redis.start()
        let connection = RedisConnection(configuration: redis.configuration)
        let stream = "payflow:test:findings"
        let events = "payflow:test:events"
        try await TestDatabase.withFresh { _, database in
            try await database.execute("""
                CREATE TABLE findings (
                    finding_id text PRIMARY KEY, published_at timestamptz, publishing_at timestamptz, published_id text
                )
                """)
            let outbox = StreamOutbox(
                table: "findings", keyColumn: "finding_id", keyType: "text",
                stream: stream, redis: connection
            ) { keys, _ in keys.sorted().map { StreamOutbox.Entry(key: $0, shardKey: $0, fields: [("finding_id", $0)]) } }
            @Sendable func publish(_ keys: [String]) async throws {
                for key in keys { try await database.execute("INSERT INTO findings (finding_id) VALUES ('\(key)')") }
                try await outbox.publishUnclaimed(keys.map { StreamOutbox.Entry(key: $0, shardKey: $0, fields: [("finding_id", $0)]) }, in: database)
            }

            // Kept: three findings, an event read by a group.
            try await publish(["f-1", "f-2", "f-3"])
            let event = try await connection.send(RedisCommand("XADD", events, "*", "id", "e-1")).orThrow().string ?? ""
            try await connection.send(RedisCommand("XGROUP", "CREATE", events, "g", "0")).orThrow()
            _ = try await connection.send(RedisCommand("XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", events, ">")).orThrow()
            // Under everysec Redis may hold its AOF buffer back, up to 2 s, while a
            // background fsync runs (and reply all the same): wait it out, so the
            // file holds everything above.
            try await Task.sleep(for: .milliseconds(2_500))
            let aof = try redis.appendOnlyFile
            let kept = try FileManager.default.attributesOfItem(atPath: aof.path)[.size] as? Int ?? 0

            // Lost: the ack of that event, and three more findings.
            #expect(try await connection.send(RedisCommand("XACK", events, "g", event)).orThrow().integer == 1)
            try await publish(["f-4", "f-5", "f-6"])
            #expect(try await connection.range(stream: stream).count == 6)
            try await redis.kill()
            let file = try FileHandle(forWritingTo: aof)
            try file.truncate(atOffset: UInt64(kept))
            try file.close()
            try await redis.start()
            try await eventually("the test's connection to reconnect") { (try? await connection.send(RedisCommand("PING"))) != nil }

            // What the restart lost:
            #expect(try await connection.range(stream: stream).compactMap { $0[field: "finding_id"] } == ["f-1", "f-2", "f-3"])
            let pending = try await connection.send(RedisCommand("XPENDING", events, "g")).orThrow().array?.first?.integer
            #expect(pending == 1, "the lost XACK leaves the event pending, to be delivered again")

            // What the repair puts back, once, however many passes and replicas run it.
            let repairs = (1...2).map { _ in StreamOutboxRepair(outboxes: [outbox], database: database, redis: connection, logger: .quiet("test")) }
            for repair in repairs { try await repair.pass() }
            try await repairs[0].pass()
            let entries = try await connection.range(stream: stream)
            #expect(entries.compactMap { $0[field: "finding_id"] } == ["f-1", "f-2", "f-3", "f-4", "f-5", "f-6"])
            let marks = try await database.query("SELECT finding_id, published_id FROM findings WHERE published_at IS NOT NULL ORDER BY finding_id").rows
            #expect(try marks.map { try $0.decode(1, as: String.self) } == entries.map(\.id.description), "every row marked with its entry on the stream now")
        }
        await connection.close()
        try await redis.kill()
    }
}
