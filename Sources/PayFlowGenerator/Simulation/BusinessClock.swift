import PayFlowDomain

/// The simulation's own clock: business time, the `occurred_at` of events.
///
/// It has nothing to do with how fast the generator emits: a run at 50,000
/// events per second covers hours of business time per second of wall time,
/// and a paced run of 10 events per second covers much less. Rules that speak
/// of "10 minutes" mean 10 minutes of this clock.
///
/// Normal traffic advances it by exponential inter-arrivals (a Poisson
/// process), whose mean makes every account active a few times a day on
/// average, modulated by the ``DailyRhythm``. A fraud scenario returns all its
/// events at once, so the clock jumps to the scenario's last event; the time
/// jumped over is a debt that later inter-arrivals repay (each by at most
/// three quarters), so scenarios do not thin out normal traffic per business
/// day. That holds while scenarios take less than three quarters of business
/// time (the defaults use about 40 %); at higher fraud rates or much larger
/// populations the debt grows and per-account activity per day drops.
struct BusinessClock: Sendable, Codable {
    /// The time of the latest event.
    private(set) var now: EventTimestamp
    /// Mean inter-arrival, in microseconds, at a rhythm intensity of 1.
    let meanInterArrival: Double
    private(set) var debt: Int64 = 0

    /// Average events per account per business day; 6 is a realistic
    /// card holder (a few payments, the odd top-up).
    static let eventsPerAccountPerDay = 6.0

    init(start: EventTimestamp, accounts: Int) {
        self.now = start
        self.meanInterArrival = 86_400_000_000 / (Double(max(1, accounts)) * Self.eventsPerAccountPerDay)
    }

    /// Moves to the time of the next normal event and returns it.
    mutating func advance(using random: inout SeededRandom, rhythm: DailyRhythm) -> EventTimestamp {
        let mean = self.meanInterArrival / rhythm.intensity(at: self.now)
        var gap = max(1, Int64(random.nextExponential(mean: mean).rounded()))
        let repaid = min(self.debt, gap * 3 / 4)
        self.debt -= repaid
        gap -= repaid
        self.now = self.now.adding(microseconds: gap)
        return self.now
    }

    /// Moves to the last event of a scenario, remembering the jump as debt.
    mutating func jump(to time: EventTimestamp) {
        guard time > self.now else { return }
        self.debt += time.microsecondsSinceEpoch - self.now.microsecondsSinceEpoch
        self.now = time
    }

    /// Lets business time pass without events (nothing could happen now).
    mutating func idle(microseconds: Int64) {
        self.now = self.now.adding(microseconds: microseconds)
    }
}
