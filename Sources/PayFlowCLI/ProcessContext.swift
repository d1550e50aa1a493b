import Logging
import PayFlowRuntime
import Prometheus

/// What every `payflow` process sets up first: its settings, its logger and,
/// for long-running processes, its metrics registry.
struct ProcessContext {
    var environment: Environment
    var logger: Logger

    /// Reads `LOG_LEVEL` and installs logging. A bad value throws a
    /// ``ConfigurationError`` naming the variable, which the command prints
    /// before exiting non-zero.
    /// `defaultLogLevel`: for tools whose output is the point (`streams`),
    /// quieter than the services' `info` unless `LOG_LEVEL` says otherwise.
    static func bootstrap(label: String, defaultLogLevel: Logger.Level = .info) throws -> ProcessContext {
        let environment = Environment()
        let level = try environment.logLevel(default: defaultLogLevel)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return ProcessContext(environment: environment, logger: Logger(label: label))
    }
}
