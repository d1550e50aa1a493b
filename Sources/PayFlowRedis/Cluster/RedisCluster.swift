import Logging
import Synchronization

/// A client of a Redis Cluster: one ``RedisConnection`` per node, and the slot
/// map that says which node each command goes to.
///
/// hiredis 0.14 knows nothing of clusters, so this is the part it leaves to
/// the client: route each command to the master of its key's slot, follow
/// `MOVED` (the map changed: update it and read it again) and `ASK` (a slot
/// is migrating: ask the target once), wait out `TRYAGAIN` and `CLUSTERDOWN`,
/// and read the map again when a node stops answering, which is how a client
/// finds the replica promoted by a failover.
///
/// Every redirect reply means the command was not executed, so resending it
/// is always safe. A broken connection is not retried here: as with a single
/// ``RedisConnection``, a command that may or may not have run is the
/// caller's to retry (the platform's effects are idempotent by event id).
/// The error is thrown after the map was read again, so the retry goes to
/// the node that now serves the slot.
public final class RedisCluster: Sendable {
    public let configuration: RedisClusterConfiguration
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var topology: ClusterTopology
        var connections: [ClusterNodeAddress: RedisConnection] = [:]
        /// The read of the slot map in progress; concurrent callers share it.
        var refresh: Task<Result<ClusterTopology, RedisError>, Never>?
        var closed = false
    }

    /// How many redirects one command may follow before the client gives up:
    /// more than a migration or a failover can cause, fewer than a loop.
    static let redirectLimit = 16

    /// Connects to the seeds and reads the slot map, so that a wrong address,
    /// a node that is not in cluster mode or a cluster with unserved slots
    /// shows at start-up.
    public static func connect(
        configuration: RedisClusterConfiguration,
        logger: Logger = Logger(label: "payflow.redis.cluster")
    ) async throws(RedisError) -> RedisCluster {
        let cluster = RedisCluster(configuration: configuration, logger: logger)
        do throws(RedisError) {
            let topology = try await cluster.refreshTopology()
            guard topology.coversEverySlot else {
                throw RedisError(.unexpectedReply, "the cluster does not serve every slot (CLUSTER SHARDS)")
            }
        } catch {
            await cluster.close()
            throw error
        }
        return cluster
    }

    /// A client that reads the slot map on first use, as a ``RedisConnection``
    /// connects on first use: for a process that must start while the
    /// cluster is still coming up. ``connect(configuration:logger:)`` reads
    /// it at once instead.
    public init(configuration: RedisClusterConfiguration, logger: Logger = Logger(label: "payflow.redis.cluster")) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State(topology: ClusterTopology(shards: [])))
    }

    /// The slot map as last read (or patched by a `MOVED`).
    public var topology: ClusterTopology {
        self.state.withLock { $0.topology }
    }

    // MARK: - Commands

    /// Sends `command`, whose keys are all in the slot of `key`; an error
    /// reply is thrown as ``RedisError/Code/serverError``.
    @discardableResult
    public func send(_ command: RedisCommand, key: some RedisArgument) async throws(RedisError) -> RedisReply {
        try await self.pipeline([command], slot: ClusterSlot(key: key))[0].orThrow()
    }

    /// Sends commands whose keys are all in `slot` in one round trip to its
    /// master and returns one reply per command, error replies included (as
    /// ``RedisConnection/pipeline(_:)`` does). Commands redirected are sent
    /// again where the redirect says, in their order.
    public func pipeline(_ commands: [RedisCommand], slot: ClusterSlot) async throws(RedisError) -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        var replies = [RedisReply?](repeating: nil, count: commands.count)
        var pending = Array(commands.indices)
        var askTarget: ClusterNodeAddress?
        var waits = 0
        for _ in 0..<Self.redirectLimit {
            let target: ClusterNodeAddress
            if let askTarget {
                target = askTarget
            } else {
                target = try await self.master(of: slot)
            }
            let batch = pending.map { commands[$0] }
            let asking = askTarget != nil
            let sent = asking ? batch.flatMap { [RedisCommand("ASKING"), $0] } : batch
            let answers: [RedisReply]
            do {
                let raw = try await self.connection(to: target).pipeline(sent)
                answers = asking ? stride(from: 1, to: raw.count, by: 2).map { raw[$0] } : raw
            } catch where error.code == .connectionFailed {
                _ = try? await self.refreshTopology(avoiding: target)
                throw error
            }
            askTarget = nil
            var redirected: [Int] = []
            var wait = false
            for (index, reply) in zip(pending, answers) {
                guard let redirect = ClusterRedirect(reply, from: target) else {
                    replies[index] = reply
                    continue
                }
                redirected.append(index)
                switch redirect {
                case .moved(let movedSlot, let master):
                    self.state.withLock { $0.topology.move(movedSlot, to: master) }
                case .ask(_, let node):
                    askTarget = node
                case .tryAgain, .clusterDown:
                    wait = true
                }
            }
            if redirected.isEmpty {
                return replies.map { $0 ?? .null }
            }
            pending = redirected
            if wait {
                waits += 1
                try await Self.pause(attempt: waits)
                _ = try? await self.refreshTopology()
            } else if askTarget == nil {
                // A MOVED: the map is stale beyond this slot too, most likely.
                _ = try? await self.refreshTopology()
            }
        }
        throw RedisError(.connectionFailed, "\(commands[pending[0]]) for \(slot): still redirected after \(Self.redirectLimit) tries")
    }

    /// Runs `body` with the master of `slot`, for work a caller does on a
    /// node directly (several commands, a `WATCH`): when it fails because the
    /// map was stale (a redirect, or the master's connection broke in a
    /// failover), reads the map again and runs `body` again on the slot's
    /// master, up to `attempts` times. Only for work that is safe to repeat.
    public func onMaster<Value: Sendable>(
        of slot: ClusterSlot,
        attempts: Int = 5,
        _ body: (ClusterNodeAddress) async throws -> Value
    ) async throws -> Value {
        var attempt = 1
        while true {
            let master = try await self.master(of: slot)
            do {
                return try await body(master)
            } catch let error as RedisError where attempt < attempts && (error.isClusterRedirect || error.code == .connectionFailed) {
                _ = try? await self.refreshTopology(avoiding: master)
                try await Self.pause(attempt: attempt)
                attempt += 1
            }
        }
    }

    /// The connection to one node, made on first use and kept until the node
    /// leaves the slot map.
    public func connection(to address: ClusterNodeAddress) -> RedisConnection {
        let (connection, isNew) = self.state.withLock { state -> (RedisConnection, Bool) in
            if let existing = state.connections[address] { return (existing, false) }
            let connection = RedisConnection(configuration: self.configuration.node(at: address), logger: self.logger)
            state.connections[address] = connection
            return (connection, true)
        }
        if isNew {
            self.logger.debug("Redis Cluster: connection to \(address)")
        }
        return connection
    }

    /// The master that serves `slot`, reading the map again (a few times,
    /// briefly apart) while none does, as during a failover.
    public func master(of slot: ClusterSlot) async throws(RedisError) -> ClusterNodeAddress {
        if let master = self.state.withLock({ $0.topology.master(of: slot) }) {
            return master
        }
        // No master known: a failover under way, or a map read mid-change.
        for attempt in 1...10 {
            if let master = try? await self.refreshTopology().master(of: slot) {
                return master
            }
            try await Self.pause(attempt: attempt)
        }
        throw RedisError(.connectionFailed, "no master serves \(slot)")
    }

    // MARK: - The slot map

    /// Reads the slot map again from the first node that answers (the known
    /// masters, their replicas, then the seeds) and closes the connections of
    /// nodes that left it. Concurrent callers share one read.
    @discardableResult
    public func refreshTopology() async throws(RedisError) -> ClusterTopology {
        try await self.refreshTopology(avoiding: nil)
    }

    private func refreshTopology(avoiding suspect: ClusterNodeAddress?) async throws(RedisError) -> ClusterTopology {
        let task = self.state.withLock { state -> Task<Result<ClusterTopology, RedisError>, Never> in
            if let running = state.refresh { return running }
            let candidates = Self.candidates(state.topology, seeds: self.configuration.seeds, suspect: suspect)
            let task = Task { await self.readTopology(from: candidates) }
            state.refresh = task
            return task
        }
        let result = await task.value
        let stale = self.state.withLock { state -> [RedisConnection] in
            // Only the first caller to finish applies the read.
            guard state.refresh == task else { return [] }
            state.refresh = nil
            guard case .success(let topology) = result, !state.closed else { return [] }
            state.topology = topology
            let known = Set(topology.shards.flatMap { [$0.master] + $0.replicas })
            let gone = state.connections.filter { !known.contains($0.key) }
            for address in gone.keys { state.connections[address] = nil }
            return Array(gone.values)
        }
        for connection in stale {
            await connection.close()
        }
        return try result.get()
    }

    private static func candidates(
        _ topology: ClusterTopology,
        seeds: [ClusterNodeAddress],
        suspect: ClusterNodeAddress?
    ) -> [ClusterNodeAddress] {
        var ordered: [ClusterNodeAddress] = []
        for address in topology.masters + topology.shards.flatMap(\.replicas) + seeds where !ordered.contains(address) {
            ordered.append(address)
        }
        if let suspect, let index = ordered.firstIndex(of: suspect) {
            ordered.append(ordered.remove(at: index))
        }
        return ordered
    }

    private func readTopology(from candidates: [ClusterNodeAddress]) async -> Result<ClusterTopology, RedisError> {
        var failures: [String] = []
        for address in candidates {
            do {
                let reply = try await self.connection(to: address).send(RedisCommand("CLUSTER", "SHARDS"))
                let topology = try ClusterTopology(clusterShards: reply, from: address)
                guard !topology.shards.isEmpty else {
                    failures.append("\(address): no shard has a master")
                    continue
                }
                return .success(topology)
            } catch where error.code == .serverError {
                // Not in cluster mode, or refused by ACL: asking another node will not help.
                return .failure(RedisError(.serverError, "CLUSTER SHARDS on \(address): \(error.message)"))
            } catch {
                failures.append("\(address): \(error.message)")
            }
        }
        return .failure(RedisError(.connectionFailed, "no cluster node answered CLUSTER SHARDS: \(failures.joined(separator: "; "))"))
    }

    private static func pause(attempt: Int) async throws(RedisError) {
        do {
            try await Task.sleep(for: .milliseconds(min(50 * attempt, 500)))
        } catch {
            throw RedisError(.connectionFailed, "cancelled while waiting for the cluster")
        }
    }

    /// Closes every node's connection. Safe to call twice.
    public func close() async {
        let (connections, refresh) = self.state.withLock { state in
            state.closed = true
            defer { state.connections = [:] }
            return (Array(state.connections.values), state.refresh)
        }
        _ = await refresh?.value
        for connection in connections {
            await connection.close()
        }
    }
}
