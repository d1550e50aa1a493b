/// What an error reply of a cluster node tells a client to do instead.
///
/// Each of these means the command was **not** executed, so sending it again
/// elsewhere (or later) can never apply it twice.
public enum ClusterRedirect: Equatable, Sendable {
    /// The slot lives on another master for good: update the map, go there.
    case moved(ClusterSlot, ClusterNodeAddress)
    /// The slot is being migrated and this key already left: ask the target
    /// once, after `ASKING`, without updating the map.
    case ask(ClusterSlot, ClusterNodeAddress)
    /// A multi-key command whose keys are split by a migration in progress.
    case tryAgain
    /// The cluster cannot serve the slot now (a failover is electing a replica).
    case clusterDown

    /// `sender` is the node that replied: a `MOVED` or `ASK` with an empty
    /// host (`MOVED 3999 :6381`, a node that does not know its own address)
    /// means the sender's host.
    public init?(_ reply: RedisReply, from sender: ClusterNodeAddress) {
        guard case .error(let message) = reply else { return nil }
        if message.hasPrefix("TRYAGAIN") {
            self = .tryAgain
            return
        }
        if message.hasPrefix("CLUSTERDOWN") {
            self = .clusterDown
            return
        }
        // MOVED 3999 127.0.0.1:6381 / ASK 3999 127.0.0.1:6381
        let parts = message.split(separator: " ")
        guard parts.count == 3, let number = Int(parts[1]), (0..<ClusterSlot.count).contains(number) else { return nil }
        let target = parts[2].hasPrefix(":") ? "\(sender.host)\(parts[2])" : String(parts[2])
        guard let address = try? ClusterNodeAddress(text: target) else { return nil }
        switch parts[0] {
        case "MOVED": self = .moved(ClusterSlot(number), address)
        case "ASK": self = .ask(ClusterSlot(number), address)
        default: return nil
        }
    }
}

extension RedisError {
    /// Whether a cluster node refused the command because the slot is served
    /// elsewhere or not at the moment (`MOVED`, `ASK`, `TRYAGAIN`,
    /// `CLUSTERDOWN`, or `READONLY` from a master demoted while connected):
    /// the slot map is out of date, the command did not run.
    public var isClusterRedirect: Bool {
        guard self.code == .serverError else { return false }
        return ["MOVED ", "ASK ", "TRYAGAIN", "CLUSTERDOWN", "READONLY"].contains { self.message.hasPrefix($0) }
    }
}
