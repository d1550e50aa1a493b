/// Where one cluster node listens: what `MOVED` and `ASK` replies, the slot
/// map and `REDIS_CLUSTER_NODES` all name nodes by.
public struct ClusterNodeAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6-address]:port` as well.
    public init(text: some StringProtocol) throws(RedisError) {
        let text = String(text).trimmingWhitespace
        guard let colon = text.lastIndex(of: ":") else {
            throw RedisError(.badURL, "a cluster node is host:port, got '\(text)'")
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw RedisError(.badURL, "port must be between 1 and 65535 in '\(text)'")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty else {
            throw RedisError(.badURL, "no host in cluster node '\(text)'")
        }
        self.init(host: host, port: port)
    }

    public var description: String {
        self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
