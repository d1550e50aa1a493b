import PayFlowDomain

/// How busy the platform is at each time of day: quiet at night, a peak at
/// lunch and a higher one in the evening.
///
/// The business clock divides its mean inter-arrival by ``intensity(at:)``, so
/// the number of events per business day stays what the population implies and
/// only their spread over the day changes. Hours are UTC: the simulated
/// platform serves one region, and a single rhythm keeps traffic easy to
/// read on a dashboard.
struct DailyRhythm: Sendable {
    /// Relative activity at the start of each UTC hour, normalised to a mean of 1.
    private let hourly: [Double]

    init() {
        let raw: [Double] = [
            0.25, 0.15, 0.10, 0.10, 0.10, 0.20, 0.40, 0.70, 0.90, 1.00, 1.10, 1.30,
            1.60, 1.50, 1.20, 1.10, 1.10, 1.20, 1.50, 1.80, 1.70, 1.30, 0.90, 0.50,
        ]
        let mean = raw.reduce(0, +) / Double(raw.count)
        self.hourly = raw.map { $0 / mean }
    }

    /// The relative activity at an instant, interpolated linearly between hours.
    func intensity(at time: EventTimestamp) -> Double {
        let microsecondsPerDay: Int64 = 86_400 * 1_000_000
        var ofDay = time.microsecondsSinceEpoch % microsecondsPerDay
        if ofDay < 0 { ofDay += microsecondsPerDay }
        return self.intensity(atHour: Double(ofDay) / 3_600_000_000)
    }

    /// The relative activity at a time of day in hours, [0, 24): what the
    /// `daily` ``LoadProfile`` follows on the wall clock.
    func intensity(atHour hours: Double) -> Double {
        let hour = Int(hours) % 24
        let fraction = hours - Double(Int(hours))
        let next = (hour + 1) % 24
        return self.hourly[hour] * (1 - fraction) + self.hourly[next] * fraction
    }
}
