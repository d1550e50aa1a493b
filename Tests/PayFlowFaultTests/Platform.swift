import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The whole platform as real `payflow` processes (generator and the five
/// services, each with replicas) against a Redis database and a PostgreSQL
/// database of its own, for a fault case to hurt and then check with
/// ``InvariantCheck``.
final class Platform: @unchecked Sendable {
    /// Each service's subcommand is named after its consumer group.
    static let services = ConsumerGroupName.platform.map(\.name)

    let redis: RedisConnection
    let redisURL: String
    let database: PostgresConnection
    let databaseURL: String
    /// Name → process, e.g. "anti-fraud-2".
    private(set) var processes: [String: PayFlowProcess] = [:]
    private(set) var generatorPort: Int?
    /// Settings a case changes for every process it starts afterwards.
    var extraEnvironment: [String: String] = [:]

    init(redis: RedisConnection, redisURL: String, database: PostgresConnection, databaseURL: String) {
        self.redis = redis
        self.redisURL = redisURL
        self.database = database
        self.databaseURL = databaseURL
    }

    /// Short timings, so a fault case takes seconds: claims after 3 s idle,
    /// a 3 s reconciliation grace, settles every 300 ms.
    var environment: [String: String] {
        [
            "REDIS_URL": self.redisURL, "DATABASE_URL": self.databaseURL, "HTTP_PORT": "0", "LOG_LEVEL": "info",
            "STREAM_BLOCK_MS": "200", "STREAM_BATCH_SIZE": "100", "CLAIM_MIN_IDLE_MS": "3000", "CLAIM_INTERVAL_MS": "500",
            "RECONCILIATION_GRACE_MS": "3000", "RECONCILIATION_SWEEP_INTERVAL_MS": "500", "ANTI_FRAUD_SETTLE_INTERVAL_MS": "300",
            "NOTIFICATION_CHANNEL": "log",
        ].merging(self.extraEnvironment) { $1 }
    }

    /// A fresh Redis database (`redisDatabase`, flushed) and PostgreSQL database, migrated.
    static func with(redisDatabase: RedisTestDatabase, _ body: (Platform) async throws -> Void) async throws {
        try await IntegrationFixture.with(redisDatabase: redisDatabase, migration: .withTheBinary) { fixture in
            let platform = Platform(redis: fixture.redis, redisURL: fixture.redisURL, database: fixture.database, databaseURL: fixture.databaseURL)
            do {
                try await body(platform)
            } catch {
                platform.killAll()
                throw error
            }
            platform.killAll()
        }
    }

    /// Servers of the case's own (`scripts/local-servers` in a temporary
    /// directory), for the cases that stop and restart Redis or PostgreSQL
    /// under the platform; `body` gets the directory for ``restart(_:in:after:)``.
    static func withPrivateServers(_ body: (Platform, URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("payflow-fault-\(UUID().uuidString.prefix(8))")
        let started = try Self.localServers(["start", "--free-ports", "--throwaway", "--watch", "\(ProcessInfo.processInfo.processIdentifier)", directory.path])
        defer { _ = try? Self.localServers(["stop", "--purge", directory.path]) }
        var urls: [String: String] = [:]
        for line in started.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { urls[String(parts[0])] = String(parts[1]) }
        }
        guard let redisURL = urls["REDIS_URL"], let databaseURL = urls["DATABASE_URL"] else {
            throw TimedOut(what: "local-servers URLs; got:\n\(started)")
        }
        let redis = try await RedisConnection.connect(configuration: try RedisConfiguration(url: redisURL))
        let database = try await PostgresConnection.connect(url: databaseURL, logger: .init(label: "fault"))
        let migrate = try await PayFlowProcess.run(["migrate", "--directory", "db"], environment: ["DATABASE_URL": databaseURL])
        #expect(migrate.status == 0, "migrate failed: \(migrate.output)")
        let platform = Platform(redis: redis, redisURL: redisURL, database: database, databaseURL: databaseURL)
        // These servers' Redis users have passwords of their own (not those of the test process's servers).
        platform.extraEnvironment.merge(urls.filter { $0.key.hasPrefix("REDIS_URL_") }) { $1 }
        do {
            try await body(platform, directory)
        } catch {
            platform.killAll()
            await database.close()
            await redis.close()
            throw error
        }
        platform.killAll()
        await database.close()
        await redis.close()
    }

    /// Stops one of the private servers (`redis` with a clean SHUTDOWN, which
    /// flushes the AOF; `postgres` with a fast shutdown), waits, and starts it
    /// again on the same port.
    static func restart(_ server: String, in directory: URL, after pause: Duration) async throws {
        _ = try Self.localServers(["stop", "--only", server, directory.path])
        try await Task.sleep(for: pause)
        _ = try Self.localServers(["start", directory.path])
    }

    /// Runs scripts/local-servers and returns its standard output.
    static func localServers(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [TestServers.repositoryRoot.appendingPathComponent("scripts/local-servers").path] + arguments
        process.currentDirectoryURL = TestServers.repositoryRoot
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TimedOut(what: "scripts/local-servers \(arguments.joined(separator: " ")) to succeed (status \(process.terminationStatus))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Processes

    func start(_ service: String, replica: Int) throws {
        var environment = self.environment
        environment["CONSUMER_NAME"] = "\(service)-\(replica)"
        self.processes["\(service)-\(replica)"] = try PayFlowProcess([service], environment: environment)
    }

    func startServices(replicas: Int) throws {
        for service in Self.services {
            for replica in 1...replicas {
                try self.start(service, replica: replica)
            }
        }
    }

    /// The generator at `rate` events/s until `total`, seeded, with its ledger
    /// and ground truth (fraud scenarios and inconsistencies at the default mix),
    /// over 500 accounts so accounts see many events.
    func startGenerator(total: Int, rate: Int, seed: Int) async throws {
        let environment = self.environment
        let process = try PayFlowProcess(
            ["generator", "--start", "--rate", "\(rate)", "--total", "\(total)", "--seed", "\(seed)", "--accounts", "500"],
            environment: environment
        )
        self.processes["generator"] = process
        try await eventually("the generator to listen", timeout: .seconds(180)) {
            self.generatorPort = Self.listeningPort(in: process.output)
            return self.generatorPort != nil || !process.process.isRunning
        }
        guard self.generatorPort != nil else {
            throw TimedOut(what: "the generator's port; output:\n\(process.output)")
        }
    }

    func emitted() async throws -> (total: Int, state: String) {
        guard let port = self.generatorPort else { return (0, "none") }
        let (data, _) = try await Self.retrying { try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/v1/generator")!) }
        let status = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return (status["emitted_total"] as? Int ?? 0, status["state"] as? String ?? "?")
    }

    func waitForGenerator(total: Int) async throws {
        try await eventually("the generator to emit \(total) events", timeout: .seconds(180), every: .milliseconds(200)) {
            let status = try await self.emitted()
            return status.total >= total && status.state == "stopped"
        }
    }

    func signal(_ name: String, _ signal: Int32) {
        self.processes[name]?.signal(signal)
    }

    /// SIGTERM, and the exit status (0 expected: the batch in flight is acked).
    func stop(_ name: String) async throws -> Int32 {
        guard let process = self.processes[name] else { return -1 }
        process.signal(SIGTERM)
        let status = try await process.waitForExit(timeout: .seconds(60))
        self.processes[name] = nil
        return status
    }

    func kill(_ name: String) async throws {
        guard let process = self.processes[name] else { return }
        process.signal(SIGKILL)
        _ = try await process.waitForExit(timeout: .seconds(10))
        self.processes[name] = nil
    }

    func killAll() {
        for process in self.processes.values where process.process.isRunning {
            process.signal(SIGKILL)
        }
    }

    func output(_ name: String) -> String {
        self.processes[name]?.output ?? ""
    }

    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
        return Int(log[range].split(separator: ":").last ?? "")
    }

    // MARK: - Redis views

    func length(_ stream: String) async throws -> Int {
        try await Self.retrying { Int(try await self.redis.send(RedisCommand("XLEN", stream)).integer ?? 0) }
    }

    /// The harness's own connections see the faults too: the first command
    /// after a server restart fails, and the client reconnects on the next.
    static func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch {
                attempt += 1
                if attempt >= 20 { throw error }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Entries `consumer` of `group` holds, over the streams the group reads.
    func pending(group: String, consumer: String) async throws -> Int {
        var total = 0
        for stream in StreamNames.business {
            let groups = try await Self.retrying { try await self.redis.groups(of: stream) }
            guard groups.contains(where: { $0.name == group }) else { continue }
            let summary = try await Self.retrying { try await self.redis.pendingSummary(stream: stream, group: group) }
            total += summary.perConsumer[consumer] ?? 0
        }
        return total
    }

    /// The groups of each business stream, with pending and lag.
    func groups() async throws -> [(stream: String, info: GroupInfo)] {
        try await Self.retrying {
            var all: [(String, GroupInfo)] = []
            for stream in StreamNames.business {
                for group in try await self.redis.groups(of: stream) { all.append((stream, group)) }
            }
            return all
        }
    }
}
