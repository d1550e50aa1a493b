import Foundation
import Logging
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// A private redis-server this test may stop and start (the shared one must
/// stay up for the other tests), with AOF on as in `redis/redis.conf`, and
/// its `appendfsync` (`everysec`, shipped) unless a test says `always`.
final class PrivateRedis: Sendable {
    let port: Int
    let directory: URL
    let appendfsync: String
    private let process: Shared<Process?>

    init(appendfsync: String = "everysec") throws {
        self.appendfsync = appendfsync
        // Below Linux's ephemeral range (32,768-60,999): a port there may be
        // held by another test's outgoing connection, and the server (or its
        // restart on the same port) would fail to bind.
        self.port = Int.random(in: 10_000...19_999)
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("payflow-redis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        self.process = Shared(nil)
    }

    var configuration: RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: self.port, connectTimeout: .seconds(1))
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "redis-server", "--port", String(self.port), "--bind", "127.0.0.1", "--dir", self.directory.path,
            "--appendonly", "yes", "--appendfsync", self.appendfsync, "--save", "",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process.value = process
        try await eventually("redis-server to answer") {
            (try? await RedisConnection.connect(configuration: self.configuration).close()) != nil
        }
    }

    /// The AOF file Redis appends to now (Redis 7: the newest
    /// `appendonlydir/*.incr.aof`).
    var appendOnlyFile: URL {
        get throws {
            let directory = self.directory.appendingPathComponent("appendonlydir")
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".incr.aof") }
            guard let newest = names.max(by: { $0.localizedStandardCompare($1) == .orderedAscending }) else {
                throw TimedOut(what: "an .incr.aof file in \(directory.path)")
            }
            return directory.appendingPathComponent(newest)
        }
    }

    /// Stops the server the hard way (SIGKILL alone: no shutdown, no last
    /// flush): what the AOF file holds survives, nothing else.
    func kill() async throws {
        guard let process = self.process.value else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        try await ChildProcess.waitForExit(of: process)
        self.process.value = nil
    }

    deinit {
        if let process = self.process.value { Foundation.kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: self.directory)
    }
}

@Suite("Runtime across a Redis restart")
struct RedisRestartTests {
    /// `kill -9` under either `appendfsync`: the consumer backs off,
    /// reconnects, and carries on. The kill comes a second after the last
    /// ack, so even under `everysec` the AOF file holds it (Redis holds
    /// writes back at most while a background fsync runs); nothing is handled
    /// twice. ``RedisAOFLossTests`` shows what a lost tail does.
    @Test(arguments: ["everysec", "always"])
    func carriesOnAfterRedisIsKilledAndRestarted(appendfsync: String) async throws {
        let redis = try PrivateRedis(appendfsync: appendfsync)
        try await redis.start()
        let admin = RedisConnection(configuration: redis.configuration)
        let stream = "payflow:test:restart"
        let producer = StreamProducer(connection: admin, maxLength: nil)
        @Sendable func add(_ range: ClosedRange<Int>) async throws {
            try await producer.add(range.map { StreamProducer.Message(stream: stream, fields: [("id", "event-\($0)")]) })
        }

        var configuration = ConsumerGroupConfiguration(group: "restart", streams: [stream], consumerName: "survivor")
        configuration.block = .milliseconds(100)
        configuration.claimInterval = .milliseconds(100)
        // Long enough that a loaded machine's slow read loop keeps its batch;
        // nothing is in flight at the kill, so no entry needs a claim.
        configuration.claimMinIdle = .seconds(2)
        configuration.maxRetryBackoff = .milliseconds(200)
        let handler = ScriptedHandler()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let service = ConsumerGroupService(configuration: configuration, redis: redis.configuration, handler: handler, logger: logger)

        let handledBeforeTheKill = Shared(0)
        try await add(1...50)
        try await whileRunning(service) {
            try await eventually("the first 50 acked") { service.counters.snapshot.acked == 50 }
            try await Task.sleep(for: .milliseconds(2_500))
            handledBeforeTheKill.value = handler.order.count
            try await redis.kill()
            try await Task.sleep(for: .milliseconds(300))  // the consumer meets a dead server and backs off
            try await redis.start()
            // The test's own connection also meets the dead socket once: the
            // failing call is retriable, the next one reconnects.
            try await eventually("the test's connection to reconnect") {
                (try? await admin.send(RedisCommand("PING"))) != nil
            }
            try await add(51...100)
            try await eventually("the next 50 acked after the restart") { handler.distinctHandled == 100 }
            try await eventually("nothing pending") {
                let summary = try await admin.send(RedisCommand("XPENDING", stream, "restart"))
                return summary.array?.first?.integer == 0
            }
        }
        #expect(handler.distinctHandled == 100)
        // What the restart is about: after it, only the 50 new entries are
        // handled, each once. One of the first 50 handled again would mean an
        // ack Redis had acknowledged was lost. (Before the kill, a batch the
        // read loop is slow to take up may be claimed and handled by the
        // claim loop first: the at-least-once window InFlightEntries
        // documents, not what this test is about.)
        let afterTheKill = handler.order.dropFirst(handledBeforeTheKill.value)
        #expect(afterTheKill.sorted() == (51...100).map { "event-\($0)" }.sorted(),
                "acks acknowledged before the kill were lost, or new entries doubled: \(afterTheKill.count) handlings after the restart")
        #expect(service.counters.snapshot.deadLettered == 0)
        await admin.close()
        try await redis.kill()
    }
}
