import Logging
import ServiceLifecycle

/// Work a service does on a timer beside its consumer group (the
/// reconciliation sweep, settling provisional verdicts), as a
/// ServiceLifecycle service.
///
/// One loop for all of them, so each has the same answers to the questions
/// a hand-written loop gets wrong one at a time: a failed pass is logged and
/// retried with exponential backoff (a store that is down must not turn the
/// loop into a busy one), a pass in hand finishes on graceful shutdown, and
/// the pause between passes ends at once when shutdown begins. A pass must
/// therefore be idempotent: after a failure the next one redoes its work.
public struct PeriodicTask: Service {
    public typealias Pass = @Sendable () async throws -> Void

    let name: String
    let interval: Duration
    let maximumBackoff: Duration
    let logger: Logger
    let pass: Pass

    /// - Parameters:
    ///   - name: Says which task failed, in its log lines.
    ///   - interval: The pause after a successful pass.
    ///   - maximumBackoff: The longest pause after failed passes; the pauses
    ///     start at `interval` and double.
    public init(name: String, interval: Duration, maximumBackoff: Duration = .seconds(30), logger: Logger, pass: @escaping Pass) {
        self.name = name
        self.interval = interval
        self.maximumBackoff = max(interval, maximumBackoff)
        self.logger = logger
        self.pass = pass
    }

    public func run() async {
        var backoff = Backoff(initial: self.interval, maximum: self.maximumBackoff)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await self.pass()
                backoff.reset()
                await sleepUnlessShuttingDown(for: self.interval)
            } catch {
                self.logger.warning("\(self.name) failed; retrying", metadata: ["error": "\(error)"])
                await backoff.wait()
            }
        }
    }
}
