/// Keeps a run at its target rate, which may change at every call (a load
/// profile, a live `PUT`): each call adds what the current rate allows since
/// the previous call, and the events due are the whole events of that credit
/// not yet emitted. Emitting "what is due" rather than sleeping a fixed
/// interval per event makes the achieved rate independent of how long each
/// batch took to write; integrating the rate call by call makes a ramp or a
/// burst come out as the area under its curve.
struct Pacer {
    private var last: ContinuousClock.Instant?
    /// Events allowed and not yet emitted (fractional).
    private var credit = 0.0

    /// Forget the past, e.g. after a pause, so a run does not burst to catch up.
    mutating func reset() {
        self.last = nil
        self.credit = 0
    }

    /// Whole events due now at `rate`; the first call after a reset allows one at once.
    mutating func due(rate: Double, now: ContinuousClock.Instant = .now) -> Int {
        if let last = self.last {
            self.credit += rate * Self.seconds(now - last)
        } else {
            self.credit = 1
        }
        self.last = now
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
