import Foundation
import Logging
import PayFlowRedis

/// Typed access to the process environment, the one place PayFlow reads its
/// settings from (`.env.example` lists every variable with its default).
///
/// Every accessor validates: a value that is present but wrong is an error,
/// never silently replaced by the default.
public struct Environment: Sendable {
    public var values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    public func string(_ name: String, default defaultValue: String) throws(ConfigurationError) -> String {
        guard let value = self.values[name] else { return defaultValue }
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ConfigurationError(variable: name, problem: "is set but empty")
        }
        return value
    }

    public func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = self.values[name] else { return defaultValue }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw ConfigurationError(variable: name, problem: "must be a whole number, got '\(text)'")
        }
        guard range.contains(value) else {
            throw ConfigurationError(variable: name, problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    public func milliseconds(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Duration {
        .milliseconds(try self.integer(name, default: defaultValue, in: range))
    }

    public func logLevel(default defaultLevel: Logger.Level = .info) throws(ConfigurationError) -> Logger.Level {
        let text = try self.string("LOG_LEVEL", default: defaultLevel.rawValue)
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(variable: "LOG_LEVEL", problem: "must be one of \(levels), got '\(text)'")
        }
        return level
    }

    /// `REDIS_URL`, with `REDIS_WAIT_REPLICAS` and `REDIS_WAIT_TIMEOUT_MS`
    /// (what counts as written; ``RedisConfiguration/replicasToWaitFor``).
    public func redisConfiguration() throws(ConfigurationError) -> RedisConfiguration {
        let url = try self.string("REDIS_URL", default: "redis://127.0.0.1:6379/0")
        var configuration: RedisConfiguration
        do {
            configuration = try RedisConfiguration(url: url)
        } catch {
            throw ConfigurationError(variable: "REDIS_URL", problem: error.message)
        }
        try self.applyReplicaAcknowledgement(to: &configuration)
        return configuration
    }

    /// The `WAIT` timeout stays below the connection's command timeout (30 s),
    /// or a long `WAIT` would read as a dead server rather than a slow replica.
    private func applyReplicaAcknowledgement(to configuration: inout RedisConfiguration) throws(ConfigurationError) {
        configuration.replicasToWaitFor = try self.integer("REDIS_WAIT_REPLICAS", default: 0, in: 0...16)
        configuration.replicaWaitTimeout = try self.milliseconds("REDIS_WAIT_TIMEOUT_MS", default: 1000, in: 1...20_000)
    }

    /// `EVENT_SHARDS`: how many shards the streams are spread over (1, the
    /// default, keeps the single `payflow:events`). Every process of one
    /// platform must be given the same count: it is the layout's only input.
    public func eventShards() throws(ConfigurationError) -> StreamShards {
        StreamShards(count: try self.integer("EVENT_SHARDS", default: 1, in: 1...StreamShards.maximumCount), cluster: false)
    }

    /// `REDIS_CLUSTER_NODES` (`host:port,...`): the nodes of a Redis Cluster
    /// to learn the slot map from, with `REDIS_URL`'s credentials. Nil when
    /// unset: one Redis at `REDIS_URL`, as always.
    public func redisClusterConfiguration() throws(ConfigurationError) -> RedisClusterConfiguration? {
        let nodes = try self.string("REDIS_CLUSTER_NODES", default: "")
        guard !nodes.isEmpty else { return nil }
        let url = try self.string("REDIS_URL", default: "redis://127.0.0.1:6379/0")
        var configuration: RedisClusterConfiguration
        do {
            configuration = try RedisClusterConfiguration(url: url, nodes: nodes)
        } catch {
            throw ConfigurationError(variable: "REDIS_CLUSTER_NODES", problem: error.message)
        }
        try self.applyReplicaAcknowledgement(to: &configuration.node)
        return configuration
    }

    /// `STREAM_MAXLEN`: the safety limit of every stream's length. Streams are
    /// trimmed to what their groups still need (``StreamTrimmer``); past this
    /// many entries they are cut anyway, unread entries included, and that is
    /// logged as an error. `payflow demo-produce` passes it as `MAXLEN ~`.
    /// 0: no limit (nil).
    public func streamMaxLength() throws(ConfigurationError) -> Int? {
        let length = try self.integer("STREAM_MAXLEN", default: 1_000_000, in: 0...Int.max)
        return length == 0 ? nil : length
    }

    public func databaseURL() throws(ConfigurationError) -> String {
        let url = try self.string("DATABASE_URL", default: "postgres://payflow@127.0.0.1:5432/payflow")
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw ConfigurationError(variable: "DATABASE_URL", problem: "must start with postgres:// or postgresql://, got '\(url)'")
        }
        return url
    }

    /// Where `/health` and `/metrics` listen. Each replica started side by side
    /// gets its own `HTTP_PORT`; `0` asks the system for a free one.
    public func httpAddress(defaultPort: Int) throws(ConfigurationError) -> (host: String, port: Int) {
        let host = try self.string("HTTP_HOST", default: "127.0.0.1")
        let port = try self.integer("HTTP_PORT", default: defaultPort, in: 0...65535)
        return (host, port)
    }
}
