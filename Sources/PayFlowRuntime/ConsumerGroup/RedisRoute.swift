import Logging
import PayFlowRedis
import Synchronization

/// Where a consumer's connections go: one Redis, or whichever master of a
/// cluster serves a slot right now.
public enum RedisRoute: Sendable {
    case node(RedisConfiguration)
    /// The master of `slot`: every key a consumer of one shard touches is in
    /// that slot (``StreamShard``).
    case cluster(RedisCluster, slot: ClusterSlot)
}

/// One loop's own connection along a route.
///
/// Own, not shared: a consumer's read blocks its connection for up to
/// `BLOCK`, and a ``RedisConnection`` runs one command at a time. On one node
/// the connection is fixed (it reconnects by itself). On a cluster, a
/// redirect or a broken connection makes ``recover(from:)`` read the slot map
/// again, and when the slot's master changed (a failover, a resharding), the
/// next ``current()`` connects to the new one.
final class RoutedConnection: Sendable {
    private let route: RedisRoute
    private let adjust: @Sendable (RedisConfiguration) -> RedisConfiguration
    private let logger: Logger
    private let state = Mutex<(address: ClusterNodeAddress?, connection: RedisConnection?)>((nil, nil))

    /// `adjust` sets what the loop needs of every connection it makes (a
    /// command timeout above its `BLOCK`); `logger` is the connections'.
    init(_ route: RedisRoute, logger: Logger, adjust: @escaping @Sendable (RedisConfiguration) -> RedisConfiguration) {
        self.route = route
        self.adjust = adjust
        self.logger = logger
    }

    func current() async throws(RedisError) -> RedisConnection {
        if let connection = self.state.withLock({ $0.connection }) { return connection }
        let address: ClusterNodeAddress?
        let configuration: RedisConfiguration
        switch self.route {
        case .node(let node):
            address = nil
            configuration = self.adjust(node)
        case .cluster(let cluster, let slot):
            let master = try await cluster.master(of: slot)
            address = master
            configuration = self.adjust(cluster.configuration.node(at: master))
        }
        let made = RedisConnection(configuration: configuration, logger: self.logger)
        let (connection, spare) = self.state.withLock { state -> (RedisConnection, RedisConnection?) in
            if let existing = state.connection { return (existing, made) }
            state = (address, made)
            return (made, nil)
        }
        await spare?.close()
        return connection
    }

    /// After `error` on the current connection: on a cluster, when it says
    /// the slot map is stale (a redirect, a connection that broke), reads the
    /// map again and drops the connection if the slot's master is another.
    func recover(from error: any Error) async {
        guard case .cluster(let cluster, let slot) = self.route,
              let error = error as? RedisError, error.isClusterRedirect || error.code == .connectionFailed
        else { return }
        let master = try? await cluster.refreshTopology().master(of: slot)
        let stale = self.state.withLock { state -> RedisConnection? in
            guard let current = state.address, current != master else { return nil }
            defer { state = (nil, nil) }
            return state.connection
        }
        await stale?.close()
    }

    func close() async {
        let connection = self.state.withLock { state -> RedisConnection? in
            defer { state = (nil, nil) }
            return state.connection
        }
        await connection?.close()
    }
}
