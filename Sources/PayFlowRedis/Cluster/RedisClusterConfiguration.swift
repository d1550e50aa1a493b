/// How to reach a Redis Cluster: a few nodes to learn the slot map from, and
/// the credentials and timeouts of every connection.
///
/// Set by `REDIS_CLUSTER_NODES` beside the process's usual `REDIS_URL`, so a
/// deployment that moves to a cluster adds one variable and keeps each
/// service's ACL user and password where they were.
public struct RedisClusterConfiguration: Sendable, Equatable {
    /// Nodes to ask for the slot map; any one that answers is enough.
    public var seeds: [ClusterNodeAddress]
    /// Credentials and timeouts for every node; its host and port are ignored
    /// (they are the first seed when it came from a URL).
    public var node: RedisConfiguration

    public init(seeds: [ClusterNodeAddress], node: RedisConfiguration) throws(RedisError) {
        guard !seeds.isEmpty else {
            throw RedisError(.badURL, "a cluster needs at least one node to start from")
        }
        guard node.database == 0 else {
            throw RedisError(.badURL, "Redis Cluster has only database 0; the URL selects \(node.database)")
        }
        self.seeds = seeds
        self.node = node
    }

    /// `nodes` is `REDIS_CLUSTER_NODES`: `host:port` entries separated by
    /// commas or spaces. The URL's own host and port are a seed too.
    public init(url: String, nodes: String) throws(RedisError) {
        let node = try RedisConfiguration(url: url)
        var seeds: [ClusterNodeAddress] = []
        for entry in nodes.split(whereSeparator: { $0 == "," || $0 == " " }) where !entry.isEmpty {
            seeds.append(try ClusterNodeAddress(text: entry))
        }
        guard !seeds.isEmpty else {
            throw RedisError(.badURL, "REDIS_CLUSTER_NODES names no node: '\(nodes)'")
        }
        let own = ClusterNodeAddress(host: node.host, port: node.port)
        if !seeds.contains(own) { seeds.append(own) }
        try self.init(seeds: seeds, node: node)
    }

    /// The configuration of one node's connection.
    public func node(at address: ClusterNodeAddress) -> RedisConfiguration {
        var configuration = self.node
        configuration.host = address.host
        configuration.port = address.port
        return configuration
    }
}
