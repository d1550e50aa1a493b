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

    /// Eight connections each park in a five-second blocking read. If hiredis
    /// ran on Swift's cooperative pool (two threads here), a task that only
    /// sleeps would be starved until the reads return. Five seconds, so that
    /// CPU load from the tests running beside this one cannot delay the
    /// sleeper that long; only a blocked pool can.
    @Test func blockingReadsDoNotStarveTheCooperativePool() async throws {
        let url = try await TestServers.redisURL()
        let stream = uniqueName("test:blocking")
        let connections = try await (0..<8).asyncMap { _ in
            try await RedisConnection.connect(configuration: RedisConfiguration(url: url))
        }
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Duration.self) { group in
            for connection in connections {
                group.addTask {
                    _ = try await connection.send(RedisCommand("XREAD", "BLOCK", 5000, "STREAMS", stream, "$"))
                    return clock.now - start
                }
            }
            try await Task.sleep(for: .milliseconds(50))  // let every read start blocking
            var ticks = 0
            while ticks < 10 {
                try await Task.sleep(for: .milliseconds(5))
                ticks += 1
            }
            let sleeperDone = clock.now - start
            var firstRead = Duration.seconds(3600)
            for try await readDone in group { firstRead = min(firstRead, readDone) }
            #expect(sleeperDone < firstRead, "the sleeper finished at \(sleeperDone), after a blocking read returned at \(firstRead)")
            #expect(firstRead >= .milliseconds(4500))
        }
        for connection in connections { await connection.close() }
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
