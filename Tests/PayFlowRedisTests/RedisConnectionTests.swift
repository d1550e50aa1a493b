import PayFlowRedis
import PayFlowTestSupport
import Testing

@Suite("Redis connection against a real redis-server")
struct RedisConnectionTests {
    private func connect() async throws -> RedisConnection {
        try await RedisConnection.connect(configuration: RedisConfiguration(url: TestServers.redisURL()))
    }

    @Test func roundTripsBinaryArgumentsUnchanged() async throws {
        let redis = try await self.connect()
        defer { Task { await redis.close() } }
        let key = uniqueName("test:binary")
        let value: [UInt8] = [0, 13, 10, 0xFF, 0xFE] + Array("€ \"quoted\" $4\r\n*1".utf8)
        try await redis.send(RedisCommand("SET", key, value))
        let reply = try await redis.send(RedisCommand("GET", key))
        #expect(reply == .bulkString(value))
        await redis.close()
    }

    @Test func pipelineAnswersEveryCommandIncludingErrors() async throws {
        let redis = try await self.connect()
        let key = uniqueName("test:pipeline")
        let replies = try await redis.pipeline([
            RedisCommand("SET", key, "1"),
            RedisCommand("INCRBY", key, 41),
            RedisCommand("LPUSH", key, "not a list"),
            RedisCommand("GET", key),
            RedisCommand("GET", uniqueName("test:missing")),
        ])
        #expect(replies.count == 5)
        #expect(replies[0] == .status("OK"))
        #expect(replies[1] == .integer(42))
        guard case .error(let message) = replies[2] else {
            Issue.record("expected WRONGTYPE, got \(replies[2])")
            return
        }
        #expect(message.hasPrefix("WRONGTYPE"))
        #expect(replies[3].string == "42")
        #expect(replies[4] == .null)
        await redis.close()
    }

    @Test func serverErrorsAreThrownBySend() async throws {
        let redis = try await self.connect()
        await #expect(throws: RedisError.self) { try await redis.send(RedisCommand("NOSUCHCOMMAND")) }
        await redis.close()
    }

    @Test func selectsTheDatabaseNamedInTheURL() async throws {
        var configuration = try await RedisTestDatabase.redisSelect.configuration()
        let inSelected = try await RedisConnection.connect(configuration: configuration)
        configuration.database = RedisTestDatabase.shared.number
        let inZero = try await RedisConnection.connect(configuration: configuration)
        let key = uniqueName("test:db")
        try await inSelected.send(RedisCommand("SET", key, "seven"))
        #expect(try await inSelected.send(RedisCommand("GET", key)).string == "seven")
        #expect(try await inZero.send(RedisCommand("GET", key)) == .null)
        try await inSelected.send(RedisCommand("DEL", key))
        await inSelected.close()
        await inZero.close()
    }

    @Test func authenticatesWithUserAndPassword() async throws {
        let admin = try await self.connect()
        let user = uniqueName("payflow-test-user").replacingOccurrences(of: ":", with: "-")
        try await admin.send(RedisCommand("ACL", "SETUSER", user, "on", ">pa:ss@word", "~*", "+@all"))
        var configuration = admin.configuration
        configuration.username = user
        configuration.password = "pa:ss@word"
        let authenticated = try await RedisConnection.connect(configuration: configuration)
        #expect(try await authenticated.send(RedisCommand("ACL", "WHOAMI")).string == user)
        configuration.password = "wrong"
        await #expect(throws: RedisError.self) { try await RedisConnection.connect(configuration: configuration) }
        try await admin.send(RedisCommand("ACL", "DELUSER", user))
        await authenticated.close()
        await admin.close()
    }

    @Test func reconnectsAfterTheServerDropsTheConnection() async throws {
        let redis = try await self.connect()
        let admin = try await self.connect()
        let id = try #require(try await redis.send(RedisCommand("CLIENT", "ID")).integer)
        try await admin.send(RedisCommand("CLIENT", "KILL", "ID", Int(id)))

        // The call that finds the socket dead fails, retriably; the next one reconnects.
        do {
            try await redis.send(RedisCommand("PING"))
            Issue.record("PING on a killed connection should fail")
        } catch {
            #expect(error.isRetriable)
        }
        #expect(try await redis.send(RedisCommand("PING")) == .status("PONG"))
        let newID = try #require(try await redis.send(RedisCommand("CLIENT", "ID")).integer)
        #expect(newID != id)
        await redis.close()
        await admin.close()
    }

    @Test func failsClearlyWhenNothingListens() async throws {
        let configuration = RedisConfiguration(host: "127.0.0.1", port: 1, connectTimeout: .seconds(1))
        do {
            _ = try await RedisConnection.connect(configuration: configuration)
            Issue.record("connect to port 1 should fail")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(error.isRetriable)
        }
    }

    /// Eight connections each park in a blocking read that only an entry
    /// ends, and then a task that sleeps a few ticks adds that entry. If
    /// hiredis ran on Swift's cooperative pool (two threads here), the first
    /// two reads would hold both threads: the other six could not even start
    /// blocking, the sleeper could not run, and the test fails waiting for
    /// them (checked; or, were they all blocked, with reads that return empty
    /// at the end of their `BLOCK`). So the test waits for what the sleeper
    /// did rather than comparing times: the tests running beside it delayed
    /// the sleeper by seconds (past a fixed 5 s read, under a whole suite's
    /// load), but only a blocked pool stops it for the whole minute.
    @Test func blockingReadsDoNotStarveTheCooperativePool() async throws {
        var configuration = try RedisConfiguration(url: try await TestServers.redisURL())
        configuration.commandTimeout = .seconds(90)
        let stream = uniqueName("test:blocking")
        let name = "blocking-\(UInt32.random(in: 0...UInt32.max))"
        let connections = try await (0..<8).asyncMap { _ in
            let connection = try await RedisConnection.connect(configuration: configuration)
            try await connection.send(RedisCommand("CLIENT", "SETNAME", name))
            return connection
        }
        let writer = try await RedisConnection.connect(configuration: configuration)
        let replies = try await withThrowingTaskGroup(of: RedisReply.self, returning: [RedisReply].self) { group in
            for connection in connections {
                group.addTask {
                    // From id 0: the entry ends the read whether it is added before or after the read blocks.
                    try await connection.send(RedisCommand("XREAD", "BLOCK", 60_000, "STREAMS", stream, "0-0"))
                }
            }
            try await eventually("the eight reads blocked in Redis", timeout: .seconds(60), every: .milliseconds(5)) {
                try await Self.blockedClients(named: name, on: writer) == 8
            }
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await writer.send(RedisCommand("XADD", stream, "*", "woke", "1"))
            var replies: [RedisReply] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        #expect(replies.count == 8)
        #expect(replies.allSatisfy { !$0.isNull }, "a read returned empty at the end of its BLOCK: the sleeper could not run while the reads blocked")
        _ = try await writer.send(RedisCommand("DEL", stream))
        await writer.close()
        for connection in connections { await connection.close() }
    }

    /// Clients called `name` that Redis has blocked (`flags=b` in `CLIENT LIST`).
    private static func blockedClients(named name: String, on connection: RedisConnection) async throws -> Int {
        let list = try await connection.send(RedisCommand("CLIENT", "LIST")).string ?? ""
        return list.split(whereSeparator: \.isNewline).filter { line in
            let fields = line.split(separator: " ")
            return fields.contains("name=\(name)") && fields.contains { $0.hasPrefix("flags=") && $0.contains("b") }
        }.count
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
