/// What a component that works on named keys needs of Redis, whether the
/// platform runs on one server or on a cluster: the connection that serves a
/// key now, and a way to learn that it no longer does.
///
/// Why not route every command inside a cluster client: PayFlow's components
/// already run each unit of work (an `XADD` pipeline, a trim, a watermark
/// read) in a retry loop, because a single server restarts too. On a cluster
/// the same loop covers a failover or a moved slot: the work fails on the
/// old master (`MOVED`, a broken connection), ``recover(from:)`` reads the
/// slot map again, and the retry asks for the key's connection anew. So a
/// component takes a `RedisClient`, asks it for the connection of the key
/// its work is about, and keeps using the typed commands of
/// ``RedisConnection``, decoding on the connection's thread included.
///
/// A slot being migrated answers `ASK` for keys already moved; a component
/// then fails until the migration ends (its retry asks again). Resharding is
/// rare and short, and ``RedisCluster/pipeline(_:slot:)`` follows `ASK` for
/// those that cannot wait.
public protocol RedisClient: Sendable {
    /// The connection to the server that serves `key`: on one server, the
    /// connection itself.
    func connection(serving key: String) async throws(RedisError) -> RedisConnection

    /// After `error` on a connection this client gave: if it says the slot
    /// map is stale (a redirect, a connection that broke), reads it again.
    func recover(from error: RedisError) async
}

extension RedisClient {
    /// Runs `body` on the connection serving `key`; when it fails with a
    /// ``RedisError``, lets the client learn from it before rethrowing, so
    /// that the caller's retry goes where the key now lives.
    public func withConnection<Value: Sendable>(
        serving key: String,
        _ body: (RedisConnection) async throws(RedisError) -> Value
    ) async throws(RedisError) -> Value {
        let connection = try await self.connection(serving: key)
        do {
            return try await body(connection)
        } catch {
            await self.recover(from: error)
            throw error
        }
    }
}

extension RedisClient {
    /// The positions of `keys` grouped by the connection serving each key, in
    /// order within each group and groups in order of first appearance: for
    /// a batch of commands on many keys, one pipeline per server (one on a
    /// single Redis).
    public func servers(of keys: [String]) async throws(RedisError) -> [(connection: RedisConnection, indices: [Int])] {
        // One server serves every key: no lookup per key on the hot path.
        if let connection = self as? RedisConnection {
            return keys.isEmpty ? [] : [(connection, Array(keys.indices))]
        }
        var servers: [(connection: RedisConnection, indices: [Int])] = []
        var serverOfKey: [String: Int] = [:]
        for (index, key) in keys.enumerated() {
            if let known = serverOfKey[key] {
                servers[known].indices.append(index)
                continue
            }
            let connection = try await self.connection(serving: key)
            let server = servers.firstIndex { $0.connection === connection } ?? {
                servers.append((connection, []))
                return servers.count - 1
            }()
            serverOfKey[key] = server
            servers[server].indices.append(index)
        }
        return servers
    }
}

extension RedisConnection: RedisClient {
    public func connection(serving key: String) async throws(RedisError) -> RedisConnection {
        self
    }

    /// One server has no map to read again; the connection reconnects by itself.
    public func recover(from error: RedisError) async {}
}

extension RedisCluster: RedisClient {
    public func connection(serving key: String) async throws(RedisError) -> RedisConnection {
        self.connection(to: try await self.master(of: ClusterSlot(key: key)))
    }

    public func recover(from error: RedisError) async {
        guard error.isClusterRedirect || error.code == .connectionFailed else { return }
        _ = try? await self.refreshTopology()
    }
}
