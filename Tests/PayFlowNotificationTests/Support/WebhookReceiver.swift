import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PayFlowNotification
import PayFlowTestSupport
import ServiceLifecycle

/// A real HTTP receiver on 127.0.0.1 (a free port), standing for a customer's
/// webhook endpoint: it verifies the Standard Webhooks headers against its own
/// copy of the secret (401 when the signature is wrong or the timestamp
/// stale), can be told to fail with 500 or to answer
/// slowly, and records every request it accepted with its Idempotency-Key.
final class WebhookReceiver: Sendable {
    struct Accepted: Sendable {
        var idempotencyKey: String
        var payload: WebhookPayload
        var body: [UInt8]
        /// `webhook-id`, `webhook-timestamp`, `webhook-signature`, as received.
        var id: String
        var timestamp: String
        var signature: String
    }

    struct State: Sendable {
        /// Answer 500 to every correctly signed request while true.
        var failing = false
        /// Statuses to answer to the next correctly signed requests, in order,
        /// before accepting again.
        var scripted: [Int] = []
        /// The body of the scripted answers, when not empty.
        var scriptedBody: String?
        /// Time taken per accepted request (to observe concurrency).
        var delay: Duration?
        var requests = 0
        /// Requests refused: bad signature, missing headers or a stale timestamp.
        var badSignatures = 0
        var failedOnPurpose = 0
        var accepted: [Accepted] = []
        var inFlight = 0
        var maxInFlight = 0
    }

    let secret: WebhookSecret
    let state = Shared(State())
    private let boundPort = Shared<Int?>(nil)

    init(secret: WebhookSecret) {
        self.secret = secret
    }

    var url: String {
        "http://127.0.0.1:\(self.boundPort.value ?? 0)/hooks"
    }

    /// Keys of accepted requests, with repetitions.
    var acceptedKeys: [String] { self.state.value.accepted.map(\.idempotencyKey) }

    // MARK: - Running

    /// Runs the receiver while `body` runs, then shuts it down gracefully.
    static func withReceiver(secret: WebhookSecret = .random(), _ body: @Sendable (WebhookReceiver) async throws -> Void) async throws {
        let receiver = WebhookReceiver(secret: secret)
        var logger = Logger(label: "test.webhook-receiver")
        logger.logLevel = .error
        let application = Application(
            router: receiver.router(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "receiver"),
            onServerRunning: { channel in receiver.boundPort.value = channel.localAddress?.port },
            logger: logger
        )
        try await withServicesRunning([application]) {
            try await eventually("the receiver listening") { receiver.boundPort.value != nil }
            try await body(receiver)
        }
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/hooks") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let bytes = Array(body.readableBytesView)
            let id = request.headers[HTTPField.Name(WebhookSignature.idHeader)!] ?? ""
            let timestamp = request.headers[HTTPField.Name(WebhookSignature.timestampHeader)!] ?? ""
            let signature = request.headers[HTTPField.Name(WebhookSignature.signatureHeader)!] ?? ""
            let key = request.headers[HTTPField.Name("Idempotency-Key")!] ?? ""
            let valid = WebhookSignature.verify(id: id, timestamp: timestamp, signature: signature, body: bytes, secret: self.secret) == .valid
            let (failing, scripted, delay) = self.state.withLock { state -> (Bool, (code: Int, body: String?)?, Duration?) in
                state.requests += 1
                if !valid { state.badSignatures += 1 }
                if valid && state.failing { state.failedOnPurpose += 1 }
                let scripted = valid && !state.failing && !state.scripted.isEmpty ? state.scripted.removeFirst() : nil
                return (state.failing, scripted.map { ($0, state.scriptedBody) }, state.delay)
            }
            guard valid else { return Response(status: .unauthorized) }
            guard !failing else { return Response(status: .internalServerError) }
            if let scripted {
                guard let body = scripted.body else { return Response(status: .init(code: scripted.code)) }
                return Response(status: .init(code: scripted.code), body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
            }
            let payload = try JSONDecoder().decode(WebhookPayload.self, from: Data(bytes))
            if let delay {
                self.state.withLock { state in
                    state.inFlight += 1
                    state.maxInFlight = max(state.maxInFlight, state.inFlight)
                }
                try await Task.sleep(for: delay)
                self.state.withLock { $0.inFlight -= 1 }
            }
            self.state.withLock { $0.accepted.append(Accepted(idempotencyKey: key, payload: payload, body: bytes, id: id, timestamp: timestamp, signature: signature)) }
            return Response(status: .ok)
        }
        return router
    }
}
