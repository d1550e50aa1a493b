import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
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

    /// A connection to `REDIS_URL`'s server, for the cases that write to it.
    let redis: RedisConnection
    /// Where the views below read each stream: `redis`, or the cluster.
    let client: any RedisClient
    let redisURL: String
    /// `REDIS_CLUSTER_NODES` of every process, when the platform runs on the
    /// test cluster.
    let clusterNodes: String?
    let database: PostgresConnection
    let databaseURL: String
    /// The webhook endpoint every notification replica delivers to.
    let deliveries: DeliveryCounter
    /// Name → process, e.g. "anti-fraud-2".
    private(set) var processes: [String: PayFlowProcess] = [:]
    private(set) var generatorPort: Int?
    /// Settings a case changes for every process it starts afterwards.
    var extraEnvironment: [String: String] = [:]

    init(
        redis: RedisConnection, client: (any RedisClient)? = nil, redisURL: String, clusterNodes: String? = nil,
        database: PostgresConnection, databaseURL: String, deliveries: DeliveryCounter
    ) {
        self.redis = redis
        self.client = client ?? redis
        self.redisURL = redisURL
        self.clusterNodes = clusterNodes
        self.database = database
        self.databaseURL = databaseURL
        self.deliveries = deliveries
    }

    /// Runs `body` on this platform and kills whatever it started, also when
    /// `body` fails.
    func running(_ body: @Sendable (Platform) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            self.killAll()
            throw error
        }
        self.killAll()
    }

    /// The business time of the first generated event, the same in every run:
    /// with the seed, it makes the events, and so the alerts, the same too.
    static let generatorStartTime = "2026-01-05T09:00:00Z"


    /// Short timings, so a fault case takes seconds: claims after 3 s idle,
    /// a 10 s reconciliation grace, settles every 300 ms. The grace must
    /// outlast the generator's pause between committing a batch's ledger rows
    /// and its XADDs (up to 1,000 events): on a starved machine (a soak and
    /// the fault suite side by side) 3 s did not, and reconciliation, caught
    /// up, reported 985 events of one batch `missing_in_stream`.
    var environment: [String: String] {
        [
            "REDIS_URL": self.redisURL, "DATABASE_URL": self.databaseURL, "HTTP_PORT": "0", "LOG_LEVEL": "info",
            "STREAM_BLOCK_MS": "200", "STREAM_BATCH_SIZE": "100", "CLAIM_MIN_IDLE_MS": "3000", "CLAIM_INTERVAL_MS": "500",
            "RECONCILIATION_GRACE_MS": "10000", "RECONCILIATION_SWEEP_INTERVAL_MS": "500", "ANTI_FRAUD_SETTLE_INTERVAL_MS": "300",
            "NOTIFICATION_CHANNEL": "webhook", "WEBHOOK_URL": self.deliveries.url, "WEBHOOK_SECRET": DeliveryCounter.secret,
            "GENERATOR_START_TIME": Self.generatorStartTime,
            // The invariants compare whole streams with the audit log and the
            // stores; trimming has its own test (LaggingGroupTrimmingTests).
            "STREAM_TRIM_INTERVAL_MS": "0",
        ].merging(self.clusterNodes.map { ["REDIS_CLUSTER_NODES": $0] } ?? [:]) { $1 }
            .merging(self.extraEnvironment) { $1 }
    }

    /// A fresh Redis database (`redisDatabase`, flushed) and PostgreSQL database, migrated.
    static func with(redisDatabase: RedisTestDatabase, _ body: @Sendable (Platform) async throws -> Void) async throws {
        try await IntegrationFixture.with(redisDatabase: redisDatabase, migration: .withTheBinary) { fixture in
            try await DeliveryCounter.with { deliveries in
                let platform = Platform(
                    redis: fixture.redis, redisURL: fixture.redisURL, database: fixture.database, databaseURL: fixture.databaseURL,
                    deliveries: deliveries
                )
                try await platform.running(body)
            }
        }
    }

    /// The platform on the test cluster (three masters, one replica each),
    /// its streams flushed first: the platform's names are fixed, so the case
    /// holds the cluster alone. PostgreSQL as for ``with(redisDatabase:_:)``.
    static func withCluster(_ body: @Sendable (Platform) async throws -> Void) async throws {
        try await TestCluster.flushedAndAlone { cluster, client in
            try await IntegrationFixture.with(redisDatabase: .faultCluster, migration: .withTheBinary) { fixture in
                try await DeliveryCounter.with { deliveries in
                    let platform = Platform(
                        redis: fixture.redis, client: client, redisURL: cluster.url,
                        clusterNodes: cluster.masters.map(\.description).joined(separator: ","),
                        database: fixture.database, databaseURL: fixture.databaseURL, deliveries: deliveries
                    )
                    // Each service as its own ACL user, with the cluster's passwords.
                    platform.extraEnvironment.merge(cluster.serviceURLs) { $1 }
                    try await platform.running(body)
                }
            }
        }
    }

    /// Servers of the case's own (`scripts/local-servers` in a temporary
    /// directory), for the cases that stop and restart Redis or PostgreSQL
    /// under the platform; `body` gets the directory for ``restart(_:in:after:)``.
    static func withPrivateServers(_ body: @Sendable (Platform, URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("payflow-fault-\(UUID().uuidString.prefix(8))")
        let started = try await Self.runLocalServers(["start", "--free-ports", "--throwaway", "--watch", "\(ProcessInfo.processInfo.processIdentifier)", directory.path])
        // Stopped on every path; the script's watchdog (--watch) is the backstop if this
        // process dies first.
        do {
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
            // These servers' Redis users and PostgreSQL roles have passwords of their own
            // (not those of the test process's servers).
            let serviceURLs = urls.filter { $0.key.hasPrefix("REDIS_URL_") || $0.key.hasPrefix("DATABASE_URL_") }
            do {
                try await DeliveryCounter.with { deliveries in
                    let platform = Platform(redis: redis, redisURL: redisURL, database: database, databaseURL: databaseURL, deliveries: deliveries)
                    platform.extraEnvironment.merge(serviceURLs) { $1 }
                    try await platform.running { try await body($0, directory) }
                }
            } catch {
                await database.close()
                await redis.close()
                throw error
            }
            await database.close()
            await redis.close()
        } catch {
            _ = try? await Self.runLocalServers(["stop", "--purge", directory.path])
            throw error
        }
        _ = try? await Self.runLocalServers(["stop", "--purge", directory.path])
    }

    /// Stops one of the private servers (`redis` with a clean SHUTDOWN, which
    /// flushes the AOF; `postgres` with a fast shutdown), waits, and starts it
    /// again on the same port.
    static func restart(_ server: String, in directory: URL, after pause: Duration) async throws {
        _ = try await Self.runLocalServers(["stop", "--only", server, directory.path])
        try await Task.sleep(for: pause)
        _ = try await Self.runLocalServers(["start", directory.path])
    }

    /// `kill -9` of the private redis-server: no shutdown, no last AOF flush;
    /// what its AOF file holds is what the restart finds. Then, after
    /// `pause`, starts it again on the same port with the shipped
    /// `redis/redis.conf` (`appendfsync everysec`). Returns the server's log
    /// lines that say a background fsync lagged (with `everysec`, the
    /// writes of that window can be lost to `kill -9`).
    static func killRedisHard(in directory: URL, after pause: Duration) async throws -> [String] {
        let redisDirectory = directory.appendingPathComponent("redis")
        let pidText = try String(contentsOf: redisDirectory.appendingPathComponent("redis.pid"), encoding: .utf8)
        guard let pid = Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TimedOut(what: "a pid in redis.pid, got '\(pidText)'")
        }
        #expect(Foundation.kill(pid, SIGKILL) == 0, "kill -9 \(pid)")
        try await eventually("redis-server \(pid) gone") { Foundation.kill(pid, 0) != 0 }
        try await Task.sleep(for: pause)
        _ = try await Self.runLocalServers(["start", directory.path])
        let log = (try? String(contentsOf: redisDirectory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
        return log.split(whereSeparator: \.isNewline).filter { $0.contains("fsync is taking too long") }.map(String.init)
    }

    /// Runs scripts/local-servers and returns its standard output; the script
    /// runs off the cooperative pool (``ChildProcess``), so the seconds a
    /// server takes to stop or start hold no thread other tests need.
    static func runLocalServers(_ arguments: [String]) async throws -> String {
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/bin/bash"),
            [TestServers.repositoryRoot.appendingPathComponent("scripts/local-servers").path] + arguments,
            directory: TestServers.repositoryRoot,
            errorOutput: .discarded
        )
        guard result.status == 0 else {
            throw TimedOut(what: "scripts/local-servers \(arguments.joined(separator: " ")) to succeed (status \(result.status))")
        }
        return result.outputText
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
    /// `rate` nil: unlimited (the business time does not depend on the rate).
    func startGenerator(total: Int, rate: Int?, seed: Int) async throws {
        let environment = self.environment
        let process = try PayFlowProcess(
            ["generator", "--start"] + (rate.map { ["--rate", "\($0)"] } ?? ["--unlimited"])
                + ["--total", "\(total)", "--seed", "\(seed)", "--accounts", "500"],
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

    /// `payflow_stream_entries_total` of process `name` (from its `/metrics`),
    /// summed over streams, per outcome (`acked`, `failed`, `claimed`, ...).
    func entries(of name: String) async throws -> [String: Int] {
        guard let process = self.processes[name] else { throw TimedOut(what: "a process named \(name)") }
        var port: Int?
        try await eventually("\(name) to listen", timeout: .seconds(60)) {
            port = Self.listeningPort(in: process.output)
            return port != nil
        }
        let (data, _) = try await Self.retrying {
            try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port!)/metrics")!)
        }
        var outcomes: [String: Int] = [:]
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) where line.hasPrefix("payflow_stream_entries_total{") {
            guard let range = line.range(of: #"outcome="([a-z_]+)""#, options: .regularExpression),
                  let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { continue }
            let outcome = line[range].dropFirst("outcome=\"".count).dropLast()
            outcomes[String(outcome), default: 0] += Int(value)
        }
        return outcomes
    }

    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
        return Int(log[range].split(separator: ":").last ?? "")
    }

    // MARK: - Redis views

    /// The layout the processes were given (`EVENT_SHARDS` of ``extraEnvironment``).
    var shards: StreamShards {
        StreamShards(count: self.extraEnvironment["EVENT_SHARDS"].flatMap { Int($0) } ?? 1, cluster: self.clusterNodes != nil)
    }

    /// `stream` (unsharded) on every shard.
    func names(of stream: String) -> [String] {
        self.shards.shards.map { $0.name(stream) }
    }

    /// The entries of `stream` (unsharded) on every shard.
    func length(_ stream: String) async throws -> Int {
        var total = 0
        for name in self.names(of: stream) {
            total += try await self.length(ofShardStream: name)
        }
        return total
    }

    /// The entries of one shard's stream (`payflow:events:{1}`), or of the
    /// stream when there is one shard.
    func length(ofShardStream name: String) async throws -> Int {
        try await Self.retrying {
            try await self.client.withConnection(serving: name) { redis throws(RedisError) in
                Int(try await redis.send(RedisCommand("XLEN", name)).integer ?? 0)
            }
        }
    }

    /// Every entry of `stream` (unsharded), shard after shard.
    func range(_ stream: String) async throws -> [StreamEntry] {
        var entries: [StreamEntry] = []
        for name in self.names(of: stream) {
            entries += try await Self.retrying {
                try await self.client.withConnection(serving: name) { redis throws(RedisError) in try await redis.range(stream: name) }
            }
        }
        return entries
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
    /// Waits until every replica of every service has joined its group on
    /// `payflow:events` (its first `XREADGROUP`): ten debug processes take a
    /// while to start on a starved machine, and a case that kills replicas
    /// mid-batch needs them reading while the traffic still flows.
    func waitUntilEveryReplicaReads(replicas: Int) async throws {
        try await eventually("every replica to join its group", timeout: .seconds(180)) {
            for service in Self.services {
                for events in self.names(of: StreamNames.events) {
                    let groups = try await self.groups(of: events)
                    guard groups.contains(where: { $0.name == service }) else { return false }
                    let names = Set(try await Self.retrying {
                        try await self.client.withConnection(serving: events) { redis throws(RedisError) in
                            try await redis.consumers(stream: events, group: service)
                        }
                    }.map(\.name))
                    guard (1...replicas).allSatisfy({ names.contains("\(service)-\($0)") }) else { return false }
                }
            }
            return true
        }
    }

    func pending(group: String, consumer: String) async throws -> Int {
        try await self.pendingEntries(group: group, consumer: consumer).count
    }

    /// The ids (`stream/id`) of the entries `consumer` of `group` holds.
    func pendingEntries(group: String, consumer: String) async throws -> Set<String> {
        var held: Set<String> = []
        for stream in StreamNames.business.flatMap(self.names) {
            let groups = try await self.groups(of: stream)
            guard groups.contains(where: { $0.name == group }) else { continue }
            let reply = try await Self.retrying {
                try await self.client.withConnection(serving: stream) { redis throws(RedisError) in
                    try await redis.send(RedisCommand("XPENDING", stream, group, "-", "+", "100000", consumer)).orThrow()
                }
            }
            for entry in reply.array ?? [] {
                if let id = entry.array?.first?.string { held.insert("\(stream)/\(id)") }
            }
        }
        return held
    }

    /// The groups of each business stream, with pending and lag.
    func groups() async throws -> [(stream: String, info: GroupInfo)] {
        try await Self.retrying {
            var all: [(String, GroupInfo)] = []
            for stream in StreamNames.business.flatMap(self.names) {
                for group in try await self.groups(of: stream) { all.append((stream, group)) }
            }
            return all
        }
    }

    /// The groups of one shard's stream; none before the stream exists
    /// (its groups' first consumer creates it).
    func groups(of stream: String) async throws -> [GroupInfo] {
        try await Self.retrying {
            try await self.client.withConnection(serving: stream) { redis throws(RedisError) in
                do throws(RedisError) {
                    return try await redis.groups(of: stream)
                } catch where error.message.contains("no such key") {
                    return []
                }
            }
        }
    }
}
