import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import PayFlowTestSupport

/// The webhook endpoint the fault cases' notification replicas deliver to:
/// it counts every request by its `Idempotency-Key`, so a notification sent
/// twice shows as two requests here, where a customer would see it, whatever
/// the `notifications` table's primary key allows to be stored.
///
/// Why plain NIO on an event loop of its own, not a Hummingbird application:
/// a Hummingbird handler runs as a task on the test process's cooperative
/// pool (two threads here), which the whole suite shares with tests that
/// block it for seconds (python, Chromium, promtool, schemathesis, each run
/// to its end) or keep it busy. The receiver then answered after
/// notification's 2 s attempt deadline: the attempt was counted here, timed
/// out there and was sent again, three times per delivery, and entries whose
/// every attempt timed out were left for retry and claimed once more by
/// notification-2 (in one whole suite 16 of them: 241 claimed against 225
/// orphaned; in others 178 and 262 doubles against 100 allowed). The case
/// counts the doubles a kill causes, so its receiver must answer in a time
/// of its own choosing however loaded the test process is: counting and
/// answering (``answerDelay`` later) happen on this receiver's own event
/// loop thread, without a task.
final class DeliveryCounter: Sendable {
    static let secret = "whsec_cGF5ZmxvdyBmYXVsdCBzdWl0ZSB3ZWJob29rIGtleSE="
    /// How long each answer takes (see ``CountingHandler``).
    static let answerDelay = TimeAmount.milliseconds(20)

    private let deliveries: Shared<[String: Int]>
    private let port: Int

    private init(deliveries: Shared<[String: Int]>, port: Int) {
        self.deliveries = deliveries
        self.port = port
    }

    var url: String {
        "http://127.0.0.1:\(self.port)/hooks"
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
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let deliveries = Shared<[String: Int]>([:])
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(CountingHandler(deliveries: deliveries))
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
                .get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(DeliveryCounter(deliveries: deliveries, port: channel.localAddress?.port ?? 0)))
        } catch {
            result = .failure(error)
        }
        try? await channel.close()
        try? await group.shutdownGracefully()
        return try result.get()
    }
}

/// Counts a `POST /hooks` by its `Idempotency-Key` once the request is whole
/// and answers `200` at once, on the connection's event loop.
private final class CountingHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let deliveries: Shared<[String: Int]>
    /// The key of the request being read; nil for a request that is not a hook.
    private var key: String?

    init(deliveries: Shared<[String: Int]>) {
        self.deliveries = deliveries
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.key = head.method == .POST && head.uri == "/hooks" ? head.headers.first(name: "Idempotency-Key") ?? "?" : nil
        case .body:
            break
        case .end:
            let status: HTTPResponseStatus
            if let key = self.key {
                self.deliveries.withLock { $0[key, default: 0] += 1 }
                status = .ok
            } else {
                status = .notFound
            }
            self.key = nil
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "0")
            let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
            // A receiver that takes a moment, as real ones do, so that notification
            // holds each batch long enough for a kill to find it in its hands (the
            // case counts on that); far below the 2 s attempt deadline.
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: DeliveryCounter.answerDelay) {
                bound.value.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
                bound.value.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
            }
        }
    }
}
