import Hummingbird
import PayFlowRedis
import Logging
import ServiceLifecycle

/// One `payflow` process as its service's builder put it together: the
/// workers to run, the HTTP routes it serves, where it listens, and the
/// connections to close once every worker has returned.
///
/// Each service module has one builder (`AntiFraudService.make(_:)` and so
/// on) that returns this. The CLI runs it with ``run()``; tests run its
/// ``workers`` beside their assertions and call ``close()``. Both therefore
/// run the same object graph, and what a test proves is what production runs.
///
/// Not `Sendable`: Hummingbird's router is built up in one place before the
/// server starts, and so is this.
public struct PayFlowApplication {
    public typealias Closer = @Sendable () async -> Void

    /// The long-running parts: consumer groups, periodic tasks, the generator.
    public var workers: [any Service]
    /// `/health`, `/metrics`, `/latency`, plus the service's own API if it has one.
    public var router: Router<BasicRequestContext>
    public var host: String
    public var port: Int
    public var logger: Logger
    /// Run in reverse order by ``close()``, after the workers have returned:
    /// a worker may use a connection until its last batch is acked.
    private var closers: [Closer] = []

    public init(workers: [any Service], router: Router<BasicRequestContext>, host: String, port: Int, logger: Logger) {
        self.workers = workers
        self.router = router
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// Registers something to release once the workers are done.
    public mutating func onClose(_ closer: @escaping Closer) {
        self.closers.append(closer)
    }

    /// Serves HTTP and runs the workers until SIGTERM or SIGINT, then closes
    /// what the builder opened, also when a worker failed.
    public func run() async throws {
        let result: Result<Void, any Error>
        do {
            try await OperationsServer.run(self.workers, router: self.router, host: self.host, port: self.port, logger: self.logger)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await self.close()
        try result.get()
    }

    /// Closes what the builder opened, last opened first.
    public func close() async {
        for closer in self.closers.reversed() {
            await closer()
        }
    }
}

extension PayFlowApplication {
    /// The start every service's builder makes: listening where `HTTP_HOST`
    /// and `HTTP_PORT` say (`defaultPort` when unset), with `/health` that
    /// checks Redis and PostgreSQL, `/metrics` from the context's registry,
    /// and no workers yet.
    public init(
        _ context: ProcessContext,
        defaultPort: Int,
        redis: RedisConfiguration,
        databaseURL: String
    ) throws(ConfigurationError) {
        let address = try context.environment.httpAddress(defaultPort: defaultPort)
        let probe = HealthProbe(redis: redis, databaseURL: databaseURL, logger: context.logger)
        self.init(
            workers: [],
            router: OperationsServer.makeRouter(registry: context.registry, health: { await probe.report() }),
            host: address.host,
            port: address.port,
            logger: context.logger
        )
    }
}
