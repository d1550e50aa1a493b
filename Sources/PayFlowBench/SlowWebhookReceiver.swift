import Hummingbird
import Logging
import ServiceLifecycle

/// A webhook endpoint that takes `delay` to answer each delivery with 204:
/// the slow downstream of `make bench`'s notification scaling run. Requests
/// are handled concurrently, so the receiver is never what limits a run;
/// the notification replicas, each with at most `NOTIFICATION_CONCURRENCY`
/// deliveries in flight, are.
public struct SlowWebhookReceiver: Sendable {
    public var host: String
    public var port: Int
    public var delay: Duration
    public var logger: Logger

    public init(host: String, port: Int, delay: Duration, logger: Logger) {
        self.host = host
        self.port = port
        self.delay = delay
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT.
    public func run() async throws {
        let router = Router()
        router.post("/**") { [delay = self.delay] _, _ -> HTTPResponse.Status in
            try await Task.sleep(for: delay)
            return .noContent
        }
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(self.host, port: self.port), serverName: "payflow-bench-webhook"),
            logger: self.logger
        )
        let services = ServiceGroup(
            configuration: .init(services: [.init(service: application)], gracefulShutdownSignals: [.sigterm, .sigint], logger: self.logger)
        )
        try await services.run()
    }
}
