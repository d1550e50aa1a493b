import Logging
import ServiceLifecycle

/// Exponential backoff for retrying what failed because something else is
/// down (Redis, PostgreSQL): quick at first, then no faster than `maximum`.
public struct Backoff: Sendable {
    public var initial: Duration = .milliseconds(50)
    public var maximum: Duration
    private var attempts = 0

    public init(initial: Duration = .milliseconds(50), maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    public mutating func reset() {
        self.attempts = 0
    }

    /// The delay before the next attempt; each call doubles it up to `maximum`.
    public mutating func nextDelay() -> Duration {
        let delay = min(self.initial * (1 << min(self.attempts, 20)), self.maximum)
        self.attempts += 1
        return delay
    }

    /// Sleeps for the next delay, waking early on graceful shutdown or
    /// cancellation so a stuck dependency never delays stopping.
    public mutating func wait() async {
        await sleepUnlessShuttingDown(for: self.nextDelay())
    }
}

extension Backoff {
    /// Runs `attempt` until it returns, sleeping the next delay after each
    /// failure, for work that must not be dropped while a store is down
    /// (connecting at start-up, writing a generated batch).
    ///
    /// - Parameters:
    ///   - what: Names the work in the warning logged for each failure.
    ///   - giveUp: Checked after a failure; when true the last error is
    ///     rethrown instead of retrying (shutdown, cancellation).
    ///   - pauseThroughShutdown: Sleep the whole delay even after graceful
    ///     shutdown began, for work that must finish before the process
    ///     stops; otherwise the pause ends at once when shutdown begins.
    public mutating func retry<T>(
        _ what: String,
        logger: Logger,
        giveUp: () -> Bool = { Task.isShuttingDownGracefully || Task.isCancelled },
        pauseThroughShutdown: Bool = false,
        _ attempt: () async throws -> T
    ) async throws -> T {
        while true {
            do {
                return try await attempt()
            } catch {
                if giveUp() { throw error }
                logger.warning("\(what) failed; retrying", metadata: ["error": "\(error)"])
                if pauseThroughShutdown {
                    try? await Task.sleep(for: self.nextDelay())
                } else {
                    await self.wait()
                }
            }
        }
    }
}

/// Sleeps, but returns at once when graceful shutdown begins or the task is
/// cancelled: loops that poll on a timer must not hold up a SIGTERM.
public func sleepUnlessShuttingDown(for duration: Duration) async {
    try? await cancelWhenGracefulShutdown {
        try await Task.sleep(for: duration)
    }
}
