/// Thrown when a condition a test waits for never became true.
public struct TimedOut: Error, CustomStringConvertible {
    public var what: String

    public init(what: String) {
        self.what = what
    }

    public var description: String { "timed out waiting for \(self.what)" }
}

/// Polls `condition` until it holds. Integration tests wait for asynchronous
/// consumers this way; the timeout is a safety net against hangs, never an
/// assertion about speed. It is long because CI starts a hundred suites at
/// once on 2 cores with a debug build: a generator there was seen writing at
/// a tenth of its rate, and a passing test never waits for it.
public func eventually(
    _ what: String,
    timeout: Duration = .seconds(90),
    every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    if try await condition() { return }
    throw TimedOut(what: what)
}

/// A name no other test uses, so tests can share one Redis and run in parallel.
public func uniqueName(_ prefix: String) -> String {
    "\(prefix):\(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF)"
}
