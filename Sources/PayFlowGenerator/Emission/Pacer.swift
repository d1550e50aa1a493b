/// Keeps a run at its configured rate: events due are those the rate allows
/// since the pacer started, minus those already emitted. Emitting "what is
/// due" rather than sleeping a fixed interval per event makes the achieved
/// rate independent of how long each batch took to write.
struct Pacer {
    private var start: ContinuousClock.Instant?
    private var emitted = 0

    /// Forget the past, e.g. after a pause, so a run does not burst to catch up.
    mutating func reset() {
        self.start = nil
        self.emitted = 0
    }

    mutating func due(rate: Double) -> Int {
        let start = self.start ?? {
            self.start = .now
            return .now
        }()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Int(seconds * rate) + 1 - self.emitted
    }

    /// How long until the next event is due.
    func untilNext(rate: Double) -> Duration {
        guard let start = self.start else { return .zero }
        let next = Double(self.emitted) / rate
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return .microseconds(Int64(max(0, next - seconds) * 1_000_000) + 100)
    }

    mutating func record(_ count: Int) {
        self.emitted += count
    }
}
