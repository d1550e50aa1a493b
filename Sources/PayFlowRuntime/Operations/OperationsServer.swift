import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// The HTTP face every long-running `payflow` process shows: `GET /health`
/// for orchestrators, `GET /metrics` for Prometheus and `GET /latency` (the
/// XADD-to-ack histograms of ``EntryLatencyHistograms``) for `make bench`. Services with an API
/// of their own (generator, analytics) add routes to the same router, so each
/// process needs one port only.
public enum OperationsServer {
    /// Installs the Prometheus registry as the process-wide metrics backend.
    /// Call once, at start-up, before any counter is created.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PayFlowMetricsFactory(registry: registry))
        return registry
    }

    /// A router with `/health` and `/metrics`; `health` decides the status.
    public static func makeRouter(
        registry: PrometheusCollectorRegistry,
        health: @escaping @Sendable () async -> HealthReport = { HealthReport(status: .ok) }
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/health") { _, _ -> EditedResponse<HealthReport> in
            let report = await health()
            return EditedResponse(status: report.status == .ok ? .ok : .serviceUnavailable, response: report)
        }
        router.get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
        router.get("/latency") { _, _ -> Response in
            let body = try JSONEncoder().encode(EntryLatencyHistograms.process.reports())
            return Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
            )
        }
        return router
    }

    /// Runs a process's workers beside its HTTP server until SIGTERM or
    /// SIGINT. Services shut down in reverse order, so the workers finish and
    /// ack what they hold while `/health` and `/metrics` still answer.
    public static func run(
        _ workers: [any Service],
        router: Router<BasicRequestContext>,
        host: String,
        port: Int,
        logger: Logger
    ) async throws {
        let http = Self.makeApplication(router: router, host: host, port: port, logger: logger)
        let services = ServiceGroup(
            configuration: .init(
                services: [.init(service: http)] + workers.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await services.run()
    }

    /// The HTTP server as a ServiceLifecycle service.
    public static func makeApplication(
        router: Router<BasicRequestContext>,
        host: String,
        port: Int,
        logger: Logger
    ) -> some ApplicationProtocol {
        Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "payflow"),
            logger: logger
        )
    }
}

/// What `/health` answers: overall status and, per dependency, what is wrong.
public struct HealthReport: ResponseCodable, Sendable {
    public enum Status: String, Codable, Sendable {
        case ok
        case degraded
    }

    public var status: Status
    public var checks: [String: String]

    public init(status: Status, checks: [String: String] = [:]) {
        self.status = status
        self.checks = checks
    }
}
