/// How the target rate changes over wall-clock time: `PUT /v1/generator/config`'s
/// `load_profile`.
///
/// A profile is pacing only. The simulation never sees it: the events and
/// their business timestamps are the same at any rate, so a seed replays the
/// same run whatever profile it was emitted under (``TrafficSimulator`` has no
/// wall clock). The rate is a pure function of the seconds since the profile
/// took effect, so it can be tested without a clock.
public enum LoadProfile: Sendable, Equatable {
    /// `events_per_second` all the time.
    case constant
    /// Linear from `from` to `to` events per second over `durationSeconds`, then `to`.
    case ramp(from: Double, to: Double, durationSeconds: Double)
    /// The base rate × `factor` for the first `burstSeconds` of every `periodSeconds`.
    case burst(factor: Double, burstSeconds: Double, periodSeconds: Double)
    /// The base rate × the simulation's ``DailyRhythm`` (mean 1 over a day),
    /// with a day compressed into `periodSeconds`, starting at `startHour`.
    ///
    /// Wall-clock time, not business time: the business clock already spreads
    /// the events over the day by the same rhythm, at a speed that follows
    /// from the population, so following it would leave the length of the
    /// wall-clock day to chance rather than to `periodSeconds`.
    case daily(periodSeconds: Double, startHour: Double)

    private static let rhythm = DailyRhythm()

    /// The target events per second `elapsed` seconds after the profile took
    /// effect; nil means as fast as possible (a constant profile without a
    /// base rate). ``validate(base:)`` guarantees the other cases a base.
    public func rate(base: Double?, at elapsed: Double) -> Double? {
        let elapsed = max(0, elapsed)
        switch self {
        case .constant:
            return base
        case .ramp(let from, let to, let duration):
            guard elapsed < duration else { return to }
            return from + (to - from) * elapsed / duration
        case .burst(let factor, let burstSeconds, let periodSeconds):
            guard let base else { return nil }
            let inPeriod = elapsed.truncatingRemainder(dividingBy: periodSeconds)
            return inPeriod < burstSeconds ? base * factor : base
        case .daily(let periodSeconds, let startHour):
            guard let base else { return nil }
            let hours = (startHour + 24 * elapsed / periodSeconds).truncatingRemainder(dividingBy: 24)
            return base * Self.rhythm.intensity(atHour: hours)
        }
    }

    /// Refuses a profile that cannot pace: non-positive or non-finite numbers,
    /// a burst as long as its period, or a profile that multiplies a base rate
    /// the configuration does not have (`events_per_second` left out).
    func validate(base: Double?) throws(GeneratorConfigurationError) {
        func positive(_ value: Double, _ name: String, maximum: Double = .greatestFiniteMagnitude) throws(GeneratorConfigurationError) {
            guard value > 0, value.isFinite, value <= maximum else {
                throw GeneratorConfigurationError(
                    field: "load_profile.\(name)", problem: "must be > 0\(maximum < .greatestFiniteMagnitude ? " and ≤ \(Int(maximum))" : ""), got \(value)",
                    reason: .doesNotFit
                )
            }
        }
        func needsBase(_ kind: String) throws(GeneratorConfigurationError) {
            guard base != nil else {
                throw GeneratorConfigurationError(
                    field: "load_profile", problem: "a \(kind) profile multiplies events_per_second, which is left out (as fast as possible)",
                    reason: .doesNotFit
                )
            }
        }
        switch self {
        case .constant:
            return
        case .ramp(let from, let to, let duration):
            try positive(from, "from_events_per_second", maximum: 1_000_000)
            try positive(to, "to_events_per_second", maximum: 1_000_000)
            try positive(duration, "duration_seconds")
        case .burst(let factor, let burstSeconds, let periodSeconds):
            try needsBase("burst")
            try positive(factor, "factor")
            try positive(burstSeconds, "burst_seconds")
            try positive(periodSeconds, "period_seconds")
            guard burstSeconds < periodSeconds else {
                throw GeneratorConfigurationError(
                    field: "load_profile.burst_seconds", problem: "must be shorter than period_seconds (\(periodSeconds)), got \(burstSeconds)",
                    reason: .doesNotFit
                )
            }
            if let base, base * factor > 1_000_000 {
                throw GeneratorConfigurationError(
                    field: "load_profile.factor", problem: "events_per_second × factor must be ≤ 1000000, got \(base * factor)", reason: .doesNotFit
                )
            }
        case .daily(let periodSeconds, let startHour):
            try needsBase("daily")
            guard periodSeconds >= 1, periodSeconds.isFinite else {
                throw GeneratorConfigurationError(field: "load_profile.period_seconds", problem: "must be ≥ 1, got \(periodSeconds)", reason: .doesNotFit)
            }
            guard startHour >= 0, startHour < 24 else {
                throw GeneratorConfigurationError(field: "load_profile.start_hour", problem: "must be ≥ 0 and < 24, got \(startHour)", reason: .doesNotFit)
            }
        }
    }
}

// MARK: - Codable

extension LoadProfile: Codable {
    enum CodingKeys: String, CodingKey {
        case kind
        case fromEventsPerSecond = "from_events_per_second"
        case toEventsPerSecond = "to_events_per_second"
        case durationSeconds = "duration_seconds"
        case factor
        case burstSeconds = "burst_seconds"
        case periodSeconds = "period_seconds"
        case startHour = "start_hour"
    }

    /// `{"kind": "ramp", ...}`: the shape of the API's `LoadProfile`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "constant":
            self = .constant
        case "ramp":
            self = .ramp(
                from: try container.decode(Double.self, forKey: .fromEventsPerSecond),
                to: try container.decode(Double.self, forKey: .toEventsPerSecond),
                durationSeconds: try container.decode(Double.self, forKey: .durationSeconds)
            )
        case "burst":
            self = .burst(
                factor: try container.decode(Double.self, forKey: .factor),
                burstSeconds: try container.decode(Double.self, forKey: .burstSeconds),
                periodSeconds: try container.decode(Double.self, forKey: .periodSeconds)
            )
        case "daily":
            self = .daily(
                periodSeconds: try container.decode(Double.self, forKey: .periodSeconds),
                startHour: try container.decodeIfPresent(Double.self, forKey: .startHour) ?? 0
            )
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown load profile kind '\(other)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .constant:
            try container.encode("constant", forKey: .kind)
        case .ramp(let from, let to, let duration):
            try container.encode("ramp", forKey: .kind)
            try container.encode(from, forKey: .fromEventsPerSecond)
            try container.encode(to, forKey: .toEventsPerSecond)
            try container.encode(duration, forKey: .durationSeconds)
        case .burst(let factor, let burstSeconds, let periodSeconds):
            try container.encode("burst", forKey: .kind)
            try container.encode(factor, forKey: .factor)
            try container.encode(burstSeconds, forKey: .burstSeconds)
            try container.encode(periodSeconds, forKey: .periodSeconds)
        case .daily(let periodSeconds, let startHour):
            try container.encode("daily", forKey: .kind)
            try container.encode(periodSeconds, forKey: .periodSeconds)
            try container.encode(startHour, forKey: .startHour)
        }
    }
}
