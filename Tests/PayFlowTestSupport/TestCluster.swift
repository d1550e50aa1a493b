import Foundation
import PayFlowRedis
import Testing

/// A throw-away Redis Cluster of three masters and one replica each on
/// loopback (`scripts/local-cluster`), started once per test process by the
/// first test that asks, and stopped with its data when the process exits
/// (the script's watchdog, as for ``TestServers``).
///
/// Its own, never the one of `REDIS_CLUSTER_NODES`: the cluster tests move
/// slots and fail masters over, which nobody wants done to a cluster they
/// pointed the tests at.
public struct TestCluster: Sendable {
    /// The masters as the cluster was created (a failover test may change roles).
    public var masters: [ClusterNodeAddress]
    public var replicas: [ClusterNodeAddress]
    /// `redis://:PASSWORD@127.0.0.1:PORT/0`, the `default` user at the first master.
    public var url: String
    /// `REDIS_URL_<SERVICE>`: each service's ACL user at the first master.
    public var serviceURLs: [String: String]
    /// Where `scripts/local-cluster` keeps the nodes' files (pid files, logs).
    public var directory: URL

    /// The cluster started for this process.
    public static func shared() async throws -> TestCluster {
        try await ClusterLauncher.shared.cluster()
    }

    /// What a process of the platform would be configured with (`REDIS_URL`
    /// plus `REDIS_CLUSTER_NODES`).
    public var configuration: RedisClusterConfiguration {
        get throws {
            try RedisClusterConfiguration(url: self.url, nodes: self.masters.map(\.description).joined(separator: ","))
        }
    }

    /// A plain connection to one node, for a test to look at (or change) that
    /// node alone, redirects and all.
    public func connection(to node: ClusterNodeAddress) async throws -> RedisConnection {
        var configuration = try RedisConfiguration(url: self.url)
        configuration.host = node.host
        configuration.port = node.port
        return try await RedisConnection.connect(configuration: configuration)
    }

    /// `CLUSTER FAILOVER` on `replica` (a coordinated switch: the master
    /// pauses its clients until the replica has every write), then waits
    /// until every node's map names it a master with one replica per shard.
    ///
    /// Asked again when it did not happen within 8 s: a replica that stood
    /// for election less than twice the node timeout ago (6 s here) lets a
    /// manual failover time out, which a test failing over and back meets.
    public func failOver(to replica: ClusterNodeAddress) async throws {
        let node = try await self.connection(to: replica)
        defer { Task { await node.close() } }
        for attempt in 1...5 {
            try await node.send(RedisCommand("CLUSTER", "FAILOVER"))
            do {
                try await eventually("\(replica) is a master in every node's map", timeout: .seconds(8), every: .milliseconds(100)) {
                    try await self.mapsAgree(that: replica, isMasterOf: node)
                }
                return
            } catch is TimedOut where attempt < 5 {
                continue
            }
        }
    }

    private func mapsAgree(that replica: ClusterNodeAddress, isMasterOf node: RedisConnection) async throws -> Bool {
        guard try await node.send(RedisCommand("ROLE")).array?.first?.string == "master" else { return false }
        for address in self.masters + self.replicas {
            let other = try await self.connection(to: address)
            let topology = try ClusterTopology(clusterShards: try await other.send(RedisCommand("CLUSTER", "SHARDS")))
            await other.close()
            guard topology.masters.contains(replica), topology.shards.allSatisfy({ $0.replicas.count == 1 }) else { return false }
        }
        return true
    }

    /// Runs `body` while no other test uses the cluster: for a test that
    /// changes it (moves a slot, fails a master over, kills a node). Suites
    /// run in parallel, and a failover under a test that only reads would
    /// fail that test for a reason that is not its own.
    public static func exclusively<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await ClusterChanges.shared.holding(.exclusive, body)
    }

    /// Runs `body` holding the cluster alone (``exclusively(_:)``), every
    /// master flushed first, with a cluster client closed afterwards: for a
    /// test of the real stream names (`payflow:events`...), which a cluster
    /// cannot give each test a database of its own for.
    public static func flushedAndAlone<Result: Sendable>(
        _ body: (TestCluster, RedisCluster) async throws -> Result
    ) async throws -> Result {
        try await Self.exclusively {
            let cluster = try await Self.shared()
            for master in cluster.masters {
                let node = try await cluster.connection(to: master)
                try await node.send(RedisCommand("FLUSHALL"))
                await node.close()
            }
            let client = try await RedisCluster.connect(configuration: try cluster.configuration)
            do {
                let result = try await body(cluster, client)
                await client.close()
                return result
            } catch {
                await client.close()
                throw error
            }
        }
    }

    /// Runs `body` while no test changes the cluster; tests that only use
    /// it run side by side.
    public static func steadily<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await ClusterChanges.shared.holding(.shared, body)
    }

    /// `kill -9` of one node's redis-server, a crash rather than a shutdown;
    /// returns once the process is gone, so nothing sent afterwards can
    /// have reached it.
    public func kill(_ node: ClusterNodeAddress) async throws {
        let pidFile = self.directory.appendingPathComponent("node-\(node.port)/redis.pid")
        let text = try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = Int32(text), Foundation.kill(pid, SIGKILL) == 0 else {
            throw TestServersError("TestCluster: cannot kill node \(node) (pid '\(text)')")
        }
        try await eventually("node \(node) (pid \(pid)) gone", timeout: .seconds(10), every: .milliseconds(5)) {
            Foundation.kill(pid, 0) != 0
        }
    }

    /// Starts a killed node again (`scripts/local-cluster start-node`) and
    /// waits until every node's map has one replica per shard again: the
    /// node back, as a replica of whoever took its slots.
    public func restart(_ node: ClusterNodeAddress) async throws {
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/bin/bash"),
            [TestServers.repositoryRoot.appendingPathComponent("scripts/local-cluster").path, "start-node", self.directory.path, String(node.port)]
        )
        guard result.status == 0 else {
            throw TestServersError("TestCluster: start-node \(node) exited with \(result.status): \(result.errorText)")
        }
        try await eventually("\(node) back as a replica in every node's map", timeout: .seconds(60), every: .milliseconds(200)) {
            for address in self.masters + self.replicas {
                let other = try await self.connection(to: address)
                let topology = try ClusterTopology(clusterShards: try await other.send(RedisCommand("CLUSTER", "SHARDS")))
                await other.close()
                guard topology.shards.count == self.masters.count,
                      topology.shards.allSatisfy({ $0.replicas.count == 1 }),
                      topology.shards.contains(where: { $0.replicas.contains(node) })
                else { return false }
            }
            return true
        }
    }

    static func parse(_ output: String, directory: URL) throws -> TestCluster {
        var values: [String: String] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        func nodes(_ name: String) throws -> [ClusterNodeAddress] {
            try (values[name] ?? "").split(separator: ",").map { try ClusterNodeAddress(text: $0) }
        }
        guard let url = values["REDIS_URL"] else {
            throw TestServersError("TestCluster: `scripts/local-cluster start` printed no REDIS_URL:\n\(output)")
        }
        return TestCluster(
            masters: try nodes("REDIS_CLUSTER_NODES"),
            replicas: try nodes("REDIS_CLUSTER_REPLICAS"),
            url: url,
            serviceURLs: values.filter { $0.key.hasPrefix("REDIS_URL_") },
            directory: directory
        )
    }
}

/// Starts the cluster at most once per process; a failure is remembered, as
/// ``TestServers`` remembers one.
private actor ClusterLauncher {
    static let shared = ClusterLauncher()

    private var start: Task<TestCluster, any Error>?

    func cluster() async throws -> TestCluster {
        if let start = self.start {
            return try await start.value
        }
        let start = Task { try await Self.launch() }
        self.start = start
        return try await start.value
    }

    private static func launch() async throws -> TestCluster {
        let root = TestServers.repositoryRoot
        let script = root.appendingPathComponent("scripts/local-cluster")
        let pid = ProcessInfo.processInfo.processIdentifier
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("payflow-test-cluster-\(pid)-\(UUID().uuidString.prefix(8))")
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: "/bin/bash"),
            [script.path, "start", "--throwaway", "--watch", String(pid), directory.path],
            directory: root
        )
        guard result.status == 0 else {
            throw TestServersError(
                """
                TestCluster: `scripts/local-cluster start` exited with status \(result.status):
                \(result.errorText.trimmingCharacters(in: .whitespacesAndNewlines))
                \(TestServersError.hint)
                """
            )
        }
        return try TestCluster.parse(result.outputText, directory: directory)
    }
}

/// The lock of ``TestCluster/exclusively(_:)`` and ``TestCluster/steadily(_:)``:
/// many steady holders or one exclusive, granted in arrival order so that a
/// test waiting to change the cluster is not starved by readers.
private actor ClusterChanges {
    enum Mode { case shared, exclusive }

    static let shared = ClusterChanges()

    private var holders = 0
    private var heldExclusively = false
    private var waiters: [(mode: Mode, continuation: CheckedContinuation<Void, Never>)] = []

    func acquire(_ mode: Mode) async {
        if self.waiters.isEmpty && self.canGrant(mode) {
            self.grant(mode)
            return
        }
        await withCheckedContinuation { self.waiters.append((mode, $0)) }
    }

    func release() {
        self.holders -= 1
        self.heldExclusively = false
        while let next = self.waiters.first, self.canGrant(next.mode) {
            self.waiters.removeFirst()
            self.grant(next.mode)
            next.continuation.resume()
        }
    }

    private func canGrant(_ mode: Mode) -> Bool {
        switch mode {
        case .shared: !self.heldExclusively
        case .exclusive: self.holders == 0
        }
    }

    private func grant(_ mode: Mode) {
        self.holders += 1
        self.heldExclusively = mode == .exclusive
    }
}

extension ClusterChanges {
    nonisolated func holding<Result: Sendable>(_ mode: Mode, _ body: () async throws -> Result) async throws -> Result {
        await self.acquire(mode)
        do {
            let result = try await body()
            await self.release()
            return result
        } catch {
            await self.release()
            throw error
        }
    }
}
