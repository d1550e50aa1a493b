import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PayFlowTestSupport
import ServiceLifecycle

/// The webhook endpoint the fault cases' notification replicas deliver to:
/// it counts every request by its `Idempotency-Key`, so a notification sent
/// twice shows as two requests here, where a customer would see it, whatever
/// the `notifications` table's primary key allows to be stored.
final class DeliveryCounter: Sendable {
    static let secret = "whsec_cGF5ZmxvdyBmYXVsdCBzdWl0ZSB3ZWJob29rIGtleSE="

    private let deliveries = Shared<[String: Int]>([:])
    private let boundPort = Shared<Int?>(nil)

    var url: String {
        "http://127.0.0.1:\(self.boundPort.value ?? 0)/hooks"
    }

    /// Requests per idempotency key.
    var counts: [String: Int] { self.deliveries.value }

    /// Keys delivered more than once, and how many requests beyond the first.
    var doubles: (keys: Int, extra: Int) {
        let repeated = self.counts.values.filter { $0 > 1 }
        return (repeated.count, repeated.reduce(0) { $0 + $1 - 1 })
    }

    /// Runs the receiver on a free loopback port while `body` runs.
    static func with<T: Sendable>(_ body: @Sendable (DeliveryCounter) async throws -> T) async throws -> T {
        let counter = DeliveryCounter()
        var logger = Logger(label: "fault.webhook")
        logger.logLevel = .error
        let router = Router()
        router.post("/hooks") { request, _ -> HTTPResponse.Status in
            let key = request.headers[HTTPField.Name("Idempotency-Key")!] ?? "?"
            counter.deliveries.withLock { $0[key, default: 0] += 1 }
            return .ok
        }
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "fault-webhook"),
            onServerRunning: { channel in counter.boundPort.value = channel.localAddress?.port },
            logger: logger
        )
        return try await withServicesRunning([application]) {
            try await eventually("the webhook receiver listening") { counter.boundPort.value != nil }
            return try await body(counter)
        }
    }
}
