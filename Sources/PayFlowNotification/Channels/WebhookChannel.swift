import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Delivers each notification as a signed JSON `POST` to `WEBHOOK_URL`.
///
/// Every request carries the Standard Webhooks headers (`webhook-id`: the
/// notification id, `webhook-timestamp`, `webhook-signature`; see
/// ``WebhookSignature``), signed again for each attempt so that its
/// timestamp is fresh, and `Idempotency-Key: <notification id>` for receivers
/// that know that header rather than `webhook-id`. An attempt that times
/// out, cannot connect, or is answered 5xx, 408 or 429 is tried again after
/// `backoff`, `2 × backoff`, ... up to `maxAttempts`; what still fails is
/// `.retryable` and goes back to the runtime (redelivery after
/// `CLAIM_MIN_IDLE_MS`, dead letter after `MAX_DELIVERIES`). Any other 4xx is
/// `.permanent`: the receiver refuses this request and will refuse it again.
public struct WebhookChannel: NotificationChannel {
    public var name: NotificationChannelName { .webhook }
    private let settings: WebhookSettings
    private let client: HTTPClient
    private let logger: Logger
    /// Whether ``shutdown()`` shuts `client` down (never `HTTPClient.shared`).
    private let ownsClient: Bool

    /// Uses `client` (by default `HTTPClient.shared`), which ``shutdown()`` leaves alone.
    public init(settings: WebhookSettings, client: HTTPClient = .shared, logger: Logger) {
        self.settings = settings
        self.client = client
        self.logger = logger
        self.ownsClient = false
    }

    /// What the service runs: a client of its own from ``makeClient(concurrency:)``;
    /// call ``shutdown()`` once the consumer has stopped.
    public init(settings: WebhookSettings, concurrency: Int, logger: Logger) {
        self.settings = settings
        self.client = Self.makeClient(concurrency: concurrency)
        self.logger = logger
        self.ownsClient = true
    }

    /// Closes the connections of a client this channel created.
    public func shutdown() async {
        guard self.ownsClient else { return }
        do {
            try await self.client.shutdown()
        } catch {
            self.logger.warning("HTTP client shutdown failed", metadata: ["error": "\(error)"])
        }
    }

    /// A client for the service: as many connections to the receiver as
    /// deliveries in flight (AsyncHTTPClient's default is 8 per host; requests
    /// beyond it wait in the pool, and that wait counts against their
    /// timeout), and no redirects (a signed POST is not replayed to wherever
    /// a `Location` points; a 3xx is a failed attempt).
    public static func makeClient(concurrency: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, concurrency))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func deliver(_ message: NotificationMessage) async -> DeliveryResult {
        let body: Data
        do {
            body = try WebhookPayload(message).encoded()
        } catch {
            return DeliveryResult(status: .permanent(reason: "cannot encode the payload: \(error)"), attempts: 0)
        }
        var request = HTTPClientRequest(url: self.settings.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: message.idString)
        request.headers.add(name: "User-Agent", value: "payflow-notification")
        let bytes = ByteBuffer(bytes: body)

        var attempt = 0
        var backoff = self.settings.backoff
        while true {
            attempt += 1
            request.body = .bytes(bytes)
            for header in WebhookSignature.headers(id: message.idString, body: body, secret: self.settings.secret) {
                request.headers.replaceOrAdd(name: header.name, value: header.value)
            }
            let status = await self.attempt(request)
            switch status {
            case .delivered, .permanent:
                return DeliveryResult(status: status, attempts: attempt)
            case .retryable(let reason):
                guard attempt < self.settings.maxAttempts, !Task.isCancelled else {
                    return DeliveryResult(status: status, attempts: attempt)
                }
                self.logger.debug("Webhook attempt failed; retrying", metadata: [
                    "notification_id": "\(message.idString)", "attempt": "\(attempt)", "reason": "\(reason)",
                ])
                try? await Task.sleep(for: backoff)
                backoff *= 2
            }
        }
    }

    /// One request, classified.
    private func attempt(_ request: HTTPClientRequest) async -> DeliveryResult.Status {
        do {
            let response = try await self.client.execute(request, timeout: .nanoseconds(Int64(self.settings.timeout.wholeNanoseconds)), logger: self.logger)
            // Read (a bounded prefix of) the answer so the connection can be reused.
            let answer = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
            let code = Int(response.status.code)
            switch code {
            case 200..<300:
                return .delivered
            case 408, 429:
                return .retryable(reason: "webhook answered \(code)\(Self.excerpt(answer))")
            case 400..<500:
                return .permanent(reason: "webhook answered \(code) (permanent)\(Self.excerpt(answer))")
            default:
                return .retryable(reason: "webhook answered \(code)\(Self.excerpt(answer))")
            }
        } catch {
            return .retryable(reason: "webhook request failed: \(error)")
        }
    }

    private static func excerpt(_ answer: String) -> String {
        let trimmed = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "" : ": " + String(trimmed.prefix(200))
    }
}

extension Duration {
    /// For NIO's `TimeAmount`, which counts nanoseconds.
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
