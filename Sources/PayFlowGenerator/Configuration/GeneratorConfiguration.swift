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
    /// How the rate changes over time (nil: constant at ``eventsPerSecond``).
    public var loadProfile: LoadProfile?
    /// Relative weights of the event types in normal traffic; must not all be 0.
    public var mix: [EventType: Double]
    /// Size of the simulated account population.
    public var accounts: Int
    /// Probability, per generated event, of starting a fraud scenario instead.
    public var fraudRate: Double
    /// Probability, per generated transaction, of injecting an inconsistency.
    public var inconsistencyRate: Double
    /// Relative weights of the scenarios a fraud step picks from; nil picks
    /// them uniformly, drawing exactly what the generator drew before weights
    /// existed, so a seed's events do not change.
    public var fraudWeights: [FraudPattern: Double]?
    /// Relative weights of the injected inconsistency kinds; nil: uniform, as before.
    public var inconsistencyWeights: [MismatchKind: Double]?
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
        profile: TrafficProfile = .realistic,
        loadProfile: LoadProfile? = nil,
        fraudWeights: [FraudPattern: Double]? = nil,
        inconsistencyWeights: [MismatchKind: Double]? = nil
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
        self.loadProfile = loadProfile
        self.fraudWeights = fraudWeights
        self.inconsistencyWeights = inconsistencyWeights
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
        try self.loadProfile?.validate(base: self.eventsPerSecond)
        if let weights = self.fraudWeights {
            try Self.validate(weights: weights.map { ($0.key.scenarioName, $0.value) }, field: "fraud_weights")
        }
        if let weights = self.inconsistencyWeights {
            if let kind = weights.keys.first(where: { !MismatchKind.injected.contains($0) }) {
                throw GeneratorConfigurationError(
                    field: "inconsistency_weights", problem: "unknown name '\(kind.rawValue)'; known: \(MismatchKind.injected.map(\.rawValue).joined(separator: ", "))",
                    reason: .doesNotFit
                )
            }
            try Self.validate(weights: weights.map { ($0.key.rawValue, $0.value) }, field: "inconsistency_weights")
        }
    }

    private static func validate(weights: [(name: String, weight: Double)], field: String) throws(GeneratorConfigurationError) {
        if let bad = weights.sorted(by: { $0.name < $1.name }).first(where: { !($0.weight >= 0 && $0.weight.isFinite) }) {
            throw GeneratorConfigurationError(field: "\(field).\(bad.name)", problem: "weights must be finite and ≥ 0, got \(bad.weight)", reason: .doesNotFit)
        }
        guard weights.contains(where: { $0.weight > 0 }) else {
            throw GeneratorConfigurationError(field: field, problem: "at least one weight must be > 0 (leave the field out for equal weights)", reason: .doesNotFit)
        }
    }

    // MARK: - Which fields may change while running

    /// Whether `other` describes the same world: the fields a running
    /// generator cannot change (its accounts exist; a new seed or currency
    /// list would be another world, see ``WorldIdentity``). A seed left out
    /// keeps the running one; `running` is the seed it resolved.
    public func hasSameWorld(as other: GeneratorConfiguration, runningSeed: UInt64?) -> Bool {
        self.accounts == other.accounts && self.currencies == other.currencies && self.startTime == other.startTime
            && (other.seed == nil || other.seed == self.seed || other.seed == runningSeed)
    }

    /// The fields that decide what the simulation draws (apart from the
    /// world's): changing one mid-run changes the events from then on, so it
    /// is recorded. Rate, load profile and the run's limits are not among
    /// them: pacing never changes the events.
    public func hasSameEvents(as other: GeneratorConfiguration) -> Bool {
        self.mix == other.mix && self.fraudRate == other.fraudRate && self.inconsistencyRate == other.inconsistencyRate
            && self.fraudWeights == other.fraudWeights && self.inconsistencyWeights == other.inconsistencyWeights
            && self.profile == other.profile
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
        case loadProfile = "load_profile"
        case fraudWeights = "fraud_weights"
        case inconsistencyWeights = "inconsistency_weights"
    }
}

/// A configuration field that is out of range, with what was expected.
public struct GeneratorConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal, so the API can answer each with its status.
    public enum Reason: Sendable, Equatable {
        /// A value out of its range (422, as every field has been).
        case outOfRange
        /// A load profile or weights that do not fit the configuration (400).
        case doesNotFit
        /// A field that defines the world, changed while the generator runs (409).
        case changesRunningWorld
    }

    public var field: String
    public var problem: String
    public var reason: Reason

    public init(field: String, problem: String, reason: Reason = .outOfRange) {
        self.field = field
        self.problem = problem
        self.reason = reason
    }

    public var description: String { "\(self.field): \(self.problem)" }
}
