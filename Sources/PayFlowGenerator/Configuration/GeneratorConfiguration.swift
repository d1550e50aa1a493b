import PayFlowDomain

/// Everything that shapes the generated traffic. Together with the seed it
/// fixes the event sequence: the same configuration gives the same events,
/// ids included.
///
/// Encoded as the JSON of `GET /v1/generator` and `PUT /v1/generator/config`
/// with snake_case keys.
public struct GeneratorConfiguration: Sendable, Equatable, Codable {
    /// Target events per second; nil means as fast as possible (pipelined).
    public var eventsPerSecond: Double?
    /// Stop after this many events (nil: no limit).
    public var totalEvents: Int?
    /// Stop after this many seconds (nil: no limit).
    public var durationSeconds: Double?
    /// Relative weights of the event types in normal traffic; must not all be 0.
    public var mix: [EventType: Double]
    /// Size of the simulated account population.
    public var accounts: Int
    /// Probability, per generated event, of starting a fraud scenario instead.
    public var fraudRate: Double
    /// Probability, per generated transaction, of injecting an inconsistency.
    public var inconsistencyRate: Double
    /// Seed of the pseudo-random generator; nil picks one at start (shown in
    /// the status, so any run can be reproduced).
    public var seed: UInt64?
    /// Currencies accounts hold (each account has one).
    public var currencies: [Currency]
    /// Business time of the first event (nil: the moment the run starts).
    public var startTime: EventTimestamp?
    /// Realistic (hard negatives and adaptive fraud mixed in) or clean.
    public var profile: TrafficProfile

    public init(
        eventsPerSecond: Double? = 1000,
        totalEvents: Int? = nil,
        durationSeconds: Double? = nil,
        mix: [EventType: Double] = Self.defaultMix,
        accounts: Int = 10_000,
        fraudRate: Double = 0.005,
        inconsistencyRate: Double = 0.001,
        seed: UInt64? = nil,
        currencies: [Currency] = [.eur, .usd, .gbp],
        startTime: EventTimestamp? = nil,
        profile: TrafficProfile = .realistic
    ) {
        self.eventsPerSecond = eventsPerSecond
        self.totalEvents = totalEvents
        self.durationSeconds = durationSeconds
        self.mix = mix
        self.accounts = accounts
        self.fraudRate = fraudRate
        self.inconsistencyRate = inconsistencyRate
        self.seed = seed
        self.currencies = currencies
        self.startTime = startTime
        self.profile = profile
    }

    /// Mostly payments, some top-ups and refunds, rare account blocks.
    public static let defaultMix: [EventType: Double] = [
        .payment: 0.80, .topup: 0.12, .refund: 0.06, .accountBlocked: 0.01, .accountUnblocked: 0.01,
    ]

    /// Checks every field; the generator keeps its previous configuration when
    /// this throws.
    public func validate() throws(GeneratorConfigurationError) {
        if let rate = self.eventsPerSecond, !(rate > 0 && rate <= 1_000_000) {
            throw GeneratorConfigurationError(field: "events_per_second", problem: "must be > 0 and ≤ 1000000 (omit it for unlimited), got \(rate)")
        }
        if let total = self.totalEvents, total <= 0 {
            throw GeneratorConfigurationError(field: "total_events", problem: "must be positive, got \(total)")
        }
        if let duration = self.durationSeconds, !(duration > 0 && duration.isFinite) {
            throw GeneratorConfigurationError(field: "duration_seconds", problem: "must be positive, got \(duration)")
        }
        if let negative = self.mix.first(where: { !($0.value >= 0 && $0.value.isFinite) }) {
            throw GeneratorConfigurationError(field: "mix.\(negative.key.rawValue)", problem: "weights must be finite and ≥ 0, got \(negative.value)")
        }
        guard self.mix.values.reduce(0, +) > 0 else {
            throw GeneratorConfigurationError(field: "mix", problem: "weights must not sum to zero")
        }
        guard (10...1_000_000).contains(self.accounts) else {
            throw GeneratorConfigurationError(field: "accounts", problem: "must be between 10 and 1000000, got \(self.accounts)")
        }
        guard (0...1).contains(self.fraudRate) else {
            throw GeneratorConfigurationError(field: "fraud_rate", problem: "must be between 0 and 1, got \(self.fraudRate)")
        }
        guard (0...1).contains(self.inconsistencyRate) else {
            throw GeneratorConfigurationError(field: "inconsistency_rate", problem: "must be between 0 and 1, got \(self.inconsistencyRate)")
        }
        guard !self.currencies.isEmpty else {
            throw GeneratorConfigurationError(field: "currencies", problem: "must name at least one currency")
        }
    }

    enum CodingKeys: String, CodingKey {
        case eventsPerSecond = "events_per_second"
        case totalEvents = "total_events"
        case durationSeconds = "duration_seconds"
        case mix
        case accounts
        case fraudRate = "fraud_rate"
        case inconsistencyRate = "inconsistency_rate"
        case seed
        case currencies
        case startTime = "start_time"
        case profile
    }
}

/// A configuration field that is out of range, with what was expected.
public struct GeneratorConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(self.field): \(self.problem)" }
}
