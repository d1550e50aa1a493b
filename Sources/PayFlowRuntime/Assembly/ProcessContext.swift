import Logging
import Prometheus

/// What every service builder is given: the settings it reads, the logger it
/// logs through and the metrics registry its `/metrics` page shows.
///
/// A value, not a global, so that the CLI and the tests hand the same builder
/// the same kind of input: the CLI makes it once per process with
/// ``bootstrap(label:defaultLogLevel:)`` (which installs logging and metrics
/// process-wide), a test makes it with ``init(environment:logger:registry:)``
/// from a dictionary of settings, as many times as it likes.
public struct ProcessContext: Sendable {
    public var environment: Environment
    public var logger: Logger
    public var registry: PrometheusCollectorRegistry

    public init(environment: Environment, logger: Logger, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.environment = environment
        self.logger = logger
        self.registry = registry
    }

    /// Reads `LOG_LEVEL` and `LOG_FORMAT`, installs logging and the Prometheus metrics backend
    /// for the whole process. Call once, first thing. A bad value throws a
    /// ``ConfigurationError`` naming the variable, which the command prints
    /// before exiting non-zero.
    /// `defaultLogLevel`: for tools whose output is the point (`streams`),
    /// quieter than the services' `info` unless `LOG_LEVEL` says otherwise.
    /// `metrics`: false for one-shot tools, which have no `/metrics` page.
    public static func bootstrap(label: String, defaultLogLevel: Logger.Level = .info, metrics: Bool = false) throws -> ProcessContext {
        let environment = Environment()
        let level = try environment.logLevel(default: defaultLogLevel)
        switch try environment.logFormat() {
        case .text:
            LoggingSystem.bootstrap { label in
                // Standard error through StandardErrorLog, so a batch of lines can be one write.
                var handler = StreamLogHandler(label: label, stream: StandardErrorLog.Stream(), metadataProvider: LoggingSystem.metadataProvider)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        let registry = metrics ? OperationsServer.bootstrapMetrics() : PrometheusCollectorRegistry()
        return ProcessContext(environment: environment, logger: Logger(label: label), registry: registry)
    }
}
