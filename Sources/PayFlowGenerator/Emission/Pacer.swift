/// Keeps a run at its target rate, which may change at every call (a load
/// profile, a live `PUT`): each call adds what the current rate allows since
/// the previous call, and the events due are the whole events of that credit
/// not yet emitted. Emitting "what is due" rather than sleeping a fixed
/// interval per event makes the achieved rate independent of how long each
/// batch took to write; integrating the rate call by call makes a ramp or a
/// burst come out as the area under its curve.
///
/// A rate set between two calls (a `PUT`) splits the interval at its instant:
/// the old rate is credited up to it and the new one after. Crediting the
/// whole interval at the new rate would let a batch that stalled across a
/// `PUT` to a higher rate come back with seconds of credit the old rate
/// never allowed, and burst them out.
struct Pacer {
    private var last: ContinuousClock.Instant?
    /// The rate of the previous call: the rate until a change after it.
    private var lastRate = 0.0
    /// Events allowed and not yet emitted (fractional).
    private var credit = 0.0

    /// Forget the past, e.g. after a pause, so a run does not burst to catch up.
    mutating func reset() {
        self.last = nil
        self.credit = 0
    }

    /// Whole events due now at `rate`, set at `changedAt` (nil: unchanged);
    /// the first call after a reset allows one at once.
    mutating func due(rate: Double, changedAt: ContinuousClock.Instant? = nil, now: ContinuousClock.Instant = .now) -> Int {
        if let last = self.last {
            if let change = changedAt, last < change, change < now {
                self.credit += self.lastRate * Self.seconds(change - last) + rate * Self.seconds(now - change)
            } else {
                self.credit += rate * Self.seconds(now - last)
            }
        } else {
            self.credit = 1
        }
        self.last = now
        self.lastRate = rate
        return Int(self.credit.rounded(.down))
    }

    /// How long until the next event is due at `rate`.
    func untilNext(rate: Double) -> Duration {
        guard self.last != nil, rate > 0 else { return .zero }
        let missing = max(0, 1 - self.credit)
        return .microseconds(Int64(missing / rate * 1_000_000) + 100)
    }

    mutating func record(_ count: Int) {
        self.credit -= Double(count)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
