import Foundation
import Hummingbird
import Logging
import PayFlowDomain
import PayFlowRuntime
import ServiceLifecycle
import Synchronization

/// The dashboard's live updates: one producer per analytics process samples
/// what the page shows every two seconds and pushes it to every open page as
/// server-sent events (`GET /dashboard/events`).
///
/// Why one producer: when each browser polled, every open tab cost five
/// queries against Redis and PostgreSQL every two seconds; now the cost is
/// the same for one tab or fifty, and a tab only receives bytes.
///
/// Why bounded per-page buffers: each page reads from its own `AsyncStream`
/// that keeps only the newest ``bufferedMessages``; a page that reads slowly
/// (a phone on a bad network, a background tab) loses old samples, but never
/// blocks the producer or the other pages, and never grows memory. The
/// number of pages is bounded too (``maxSubscribers``; beyond it, 503).
///
/// It also keeps ``DashboardHistory``, the 15-minute charts, which a page
/// receives whole when it connects and then point by point.
public final class DashboardFeed: Service, Sendable {
    static let interval: Duration = .seconds(2)
    /// The scores read whole tables: every fifth sample (10 s) is enough,
    /// and only while a page is open to show them. Read with nobody
    /// watching, they were most of PostgreSQL's time in `make bench`: a
    /// second and a half per read at 200,000 events, growing with the data.
    static let detectionEvery = 5
    static let bufferedMessages = 8
    static let maxSubscribers = 64

    private struct State {
        var history = DashboardHistory()
        /// The last `sample` event, sent to a page as soon as it connects.
        var latest: ByteBuffer?
        var subscribers: [Int: AsyncStream<ByteBuffer>.Continuation] = [:]
        var nextID = 0
        var published = 0
        var finished = false
    }

    private let state = Mutex(State())
    private let handler: AnalyticsAPIHandler
    private let platform: AnalyticsAPI.PlatformSources
    private let logger: Logger
    /// Runs after a sample's scores were decided and before it is published:
    /// a test connects a page there, the moment the lock's check is for.
    private let beforePublishing: @Sendable () async -> Void

    init(
        handler: AnalyticsAPIHandler,
        platform: AnalyticsAPI.PlatformSources,
        logger: Logger,
        beforePublishing: @escaping @Sendable () async -> Void = {}
    ) {
        self.handler = handler
        self.platform = platform
        self.logger = logger
        self.beforePublishing = beforePublishing
    }

    // MARK: - Producing

    /// Samples until graceful shutdown, then ends every page's stream, so the
    /// HTTP server (shut down after the workers) has no endless response to
    /// wait for.
    public func run() async {
        var sampler = DashboardSampler(handler: self.handler, platform: self.platform)
        var lastErrors: [String] = []
        // The sample number of the last detection read; nil: none yet.
        var detectionReadAt: Int?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var sample = await sampler.sample()
            // Decided once the sample is taken, and again under the lock that
            // publishes it: a page that connected while it was being taken, or
            // after this check, still gets the scores in the first sample it sees.
            let due = detectionReadAt.map { sampler.samples - $0 >= Self.detectionEvery } ?? true
            var scoresRead = false
            while true {
                if due && !scoresRead && self.subscriberCount > 0 {
                    detectionReadAt = sampler.samples
                    await sampler.readDetection(into: &sample)
                    scoresRead = true
                }
                await self.beforePublishing()
                if self.publish(sample, unlessWatched: due && !scoresRead) { break }
            }
            if sample.errors != lastErrors, !sample.errors.isEmpty {
                self.logger.warning("The dashboard's sample is incomplete", metadata: ["errors": "\(sample.errors)"])
            }
            lastErrors = sample.errors
            await sleepUnlessShuttingDown(for: Self.interval)
        }
        self.finish()
    }

    /// Sends `sample` to every page and keeps it for the pages to come.
    /// With `unlessWatched`, publishes only if no page is open, under the
    /// same lock as ``subscribe()`` registers one, and returns false
    /// otherwise: the caller then reads the scores into the sample first.
    @discardableResult
    func publish(_ sample: DashboardSample, unlessWatched: Bool = false) -> Bool {
        let encoder = Self.encoder
        guard let json = try? encoder.encode(sample), let point = try? encoder.encode(sample.point) else { return true }
        let message = Self.event("sample", data: String(decoding: json, as: UTF8.self))
        return self.state.withLock { state in
            if unlessWatched && !state.subscribers.isEmpty { return false }
            state.history.append(t: sample.point.t, json: String(decoding: point, as: UTF8.self))
            state.latest = message
            state.published += 1
            for continuation in state.subscribers.values {
                continuation.yield(message)
            }
            return true
        }
    }

    /// Samples published so far: what a test waits for instead of sleeping
    /// for a number of ``interval``s, which a loaded machine stretches.
    var publishedSamples: Int {
        self.state.withLock { $0.published }
    }

    private func finish() {
        let subscribers = self.state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:] }
            return state.subscribers.values
        }
        for continuation in subscribers {
            continuation.finish()
        }
    }

    // MARK: - Subscribing

    /// A page's stream: the whole history, the latest sample, then every new
    /// sample. Nil when ``maxSubscribers`` pages are already connected.
    func subscribe() -> (id: Int, messages: AsyncStream<ByteBuffer>)? {
        let (messages, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(Self.bufferedMessages))
        return self.state.withLock { state -> (id: Int, messages: AsyncStream<ByteBuffer>)? in
            if state.finished {
                continuation.finish()
                return (-1, messages)
            }
            guard state.subscribers.count < Self.maxSubscribers else { return nil }
            // Registered under the same lock as the history is read: no
            // sample can fall between the two.
            continuation.yield(ByteBuffer(string: "retry: 3000\n\n"))
            continuation.yield(Self.event("history", data: state.history.json))
            if let latest = state.latest {
                continuation.yield(latest)
            }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            return (id, messages)
        }
    }

    func unsubscribe(_ id: Int) {
        let continuation = self.state.withLock { $0.subscribers.removeValue(forKey: id) }
        continuation?.finish()
    }

    var subscriberCount: Int {
        self.state.withLock { $0.subscribers.count }
    }

    // MARK: - Encoding

    /// One server-sent event; JSON without pretty-printing has no newline,
    /// so `data` is one line.
    static func event(_ name: String, data: String) -> ByteBuffer {
        ByteBuffer(string: "event: \(name)\ndata: \(data)\n\n")
    }

    /// Times as the API writes them (``RFC3339DateTranscoder``).
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(EventTimestamp(date).description)
        }
        return encoder
    }
}
