import Logging
import PayFlowPostgres
import PayFlowRedis
import ServiceLifecycle

/// Runs ``ReconciliationSweeper`` and ``MismatchPublisher`` every
/// `sweepInterval`, next to the consumer in the same process, as a
/// ServiceLifecycle service: on graceful shutdown it finishes the pass in
/// hand and returns. It has its own PostgreSQL and Redis connections, because
/// a pass is a transaction and must not share a session with the handler.
public struct ReconciliationSweepService: Service {
    let sweeper: ReconciliationSweeper
    let publisher: MismatchPublisher
    let interval: Duration
    let logger: Logger

    public init(sweeper: ReconciliationSweeper, publisher: MismatchPublisher, interval: Duration, logger: Logger) {
        self.sweeper = sweeper
        self.publisher = publisher
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await self.runOnce()
                failures = 0
            } catch {
                // A store is down: the next pass redoes the same work, which is
                // idempotent; back off so a long outage is not a busy loop.
                failures += 1
                self.logger.warning("Reconciliation sweep failed; retrying", metadata: ["error": "\(error)", "failures": "\(failures)"])
            }
            let pause = failures == 0 ? self.interval : min(self.interval * min(failures, 10), .seconds(30))
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: pause)
            }
        }
    }

    /// One sweep, then publish what is unpublished (the handler's mismatches too).
    public func runOnce() async throws {
        try await self.sweeper.sweep()
        try await self.publisher.publishPending()
    }
}
