import ServiceLifecycle

/// Exponential backoff for retrying what failed because something else is
/// down (Redis, PostgreSQL): quick at first, then no faster than `maximum`.
public struct Backoff: Sendable {
    public var initial: Duration = .milliseconds(50)
    public var maximum: Duration
    private var attempts = 0

    public init(maximum: Duration) {
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

/// Sleeps, but returns at once when graceful shutdown begins or the task is
/// cancelled: loops that poll on a timer must not hold up a SIGTERM.
public func sleepUnlessShuttingDown(for duration: Duration) async {
    try? await cancelWhenGracefulShutdown {
        try await Task.sleep(for: duration)
    }
}
