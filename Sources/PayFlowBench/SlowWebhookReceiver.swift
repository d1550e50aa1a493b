import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PayFlowNotification
import ServiceLifecycle
import Synchronization

/// A webhook endpoint that takes `delay` to answer each delivery with 204:
/// the slow downstream of `make bench`'s notification scaling run. Requests
/// are handled concurrently, so the receiver is never what limits a run;
/// the notification replicas, each with at most `NOTIFICATION_CONCURRENCY`
/// deliveries in flight, are.
///
/// It verifies every request as a customer's endpoint should (Standard
/// Webhooks, ``WebhookSignature/verify(id:timestamp:signature:body:secret:now:)``):
/// a bad signature or a timestamp more than five minutes from its clock is
/// answered 401 and logged, so a replayed or forged delivery is never
/// counted as delivered.
public struct SlowWebhookReceiver: Sendable {
    public var host: String
    public var port: Int
    public var delay: Duration
    public var secret: WebhookSecret
    public var logger: Logger

    public init(host: String, port: Int, delay: Duration, secret: WebhookSecret, logger: Logger) {
        self.host = host
        self.port = port
        self.delay = delay
        self.secret = secret
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT.
    public func run() async throws {
        let router = Router()
        let rejected = Atomic<Int>(0)
        router.post("/**") { [delay = self.delay, secret = self.secret, logger = self.logger] request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let verdict = WebhookSignature.verify(
                id: request.headers[HTTPField.Name(WebhookSignature.idHeader)!],
                timestamp: request.headers[HTTPField.Name(WebhookSignature.timestampHeader)!],
                signature: request.headers[HTTPField.Name(WebhookSignature.signatureHeader)!],
                body: body.readableBytesView, secret: secret
            )
            guard verdict == .valid else {
                let count = rejected.add(1, ordering: .relaxed).newValue
                logger.warning("webhook rejected", metadata: ["verdict": "\(verdict)", "rejected": "\(count)"])
                return .unauthorized
            }
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
