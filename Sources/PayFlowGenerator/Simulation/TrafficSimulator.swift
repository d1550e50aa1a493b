import PayFlowDomain

/// The deterministic traffic of the payment platform: a population of
/// accounts that pay, top up, get refunds and get blocked, with fraud
/// scenarios and ledger inconsistencies mixed in at configured rates.
///
/// Pure code: no I/O, no wall clock, no system randomness. Everything comes
/// from one seeded generator (``SeededRandom``), so the same configuration,
/// seed and start time give the same sequence of ``SimulatedEvent``s, event
/// ids included, which is what makes a run reproducible from its status.
///
/// Timestamps are business time, kept by a ``BusinessClock`` that starts at
/// `startTime` and advances per event by exponential inter-arrivals shaped by
/// a ``DailyRhythm``. That clock is independent of how fast the runner emits
/// events: pacing changes wall time, never `occurred_at`. Timestamps never
/// decrease across everything `next()` and `scenario(_:parameters:)` return.
///
/// Normal traffic is clean by construction (see ``CleanTrafficLimits``). In
/// the ``TrafficProfile/clean`` profile the only events that look like fraud
/// are the labelled fraud; the ``TrafficProfile/realistic`` profile adds
/// episodes (``RealisticEpisode``) of legitimate traffic that looks like
/// fraud and of fraud that does not, each labelled.
public struct TrafficSimulator: Sendable {
    private(set) var configuration: GeneratorConfiguration
    var random: SeededRandom
    var population: AccountPopulation
    var clock: BusinessClock
    let rhythm = DailyRhythm()
    /// Event types with a positive weight and their running sums, in
    /// `EventType.allCases` order (never in dictionary order).
    private(set) var typeWeights: [(type: EventType, cumulative: Double)]
    /// The scenarios a fraud step picks from by `fraud_weights`; nil picks
    /// uniformly, as before weights existed (the same draws, the same events).
    private(set) var scenarioChoice: WeightedChoice<FraudPattern>?
    /// The injected kinds by `inconsistency_weights`; nil: uniform, as before.
    private(set) var inconsistencyChoice: WeightedChoice<MismatchKind>?
    /// Events of realistic episodes scheduled after the current step, in time
    /// order: an episode spans hours (a flight, a day of transit taps), so
    /// its events are emitted as business time reaches them instead of all at
    /// once (which would make the clock jump by hours). Always empty in the
    /// clean profile.
    var pending: [SimulatedEvent] = []
    /// The accounts held by ``pending`` as the last checkpoint saved them
    /// (``accountsToSave(of:)``), so an unchanged one is not saved again.
    var savedHeldAccounts: [Int: Account] = [:]

    /// `seed` is resolved by the caller (configuration.seed ?? random); startTime is the business time of the first event.
    /// `accountPrefix` names the world's accounts (`acc-` for the first world; see ``WorldIdentity``).
    public init(configuration: GeneratorConfiguration, seed: UInt64, startTime: EventTimestamp, accountPrefix: String = "acc-") {
        self.configuration = configuration
        var random = SeededRandom(seed: seed)
        self.population = AccountPopulation(
            size: configuration.accounts, currencies: configuration.currencies, accountPrefix: accountPrefix, using: &random
        )
        self.random = random
        self.clock = BusinessClock(start: startTime, accounts: configuration.accounts)
        self.typeWeights = Self.typeWeights(of: configuration)
        self.scenarioChoice = configuration.fraudWeights.map { WeightedChoice(FraudPattern.allCases, weights: $0) }
        self.inconsistencyChoice = configuration.inconsistencyWeights.map { WeightedChoice(MismatchKind.injected, weights: $0) }
    }

    private static func typeWeights(of configuration: GeneratorConfiguration) -> [(type: EventType, cumulative: Double)] {
        var weights: [(type: EventType, cumulative: Double)] = []
        var total = 0.0
        for type in EventType.allCases {
            let weight = configuration.mix[type] ?? 0
            guard weight > 0, weight.isFinite else { continue }
            total += weight
            weights.append((type, total))
        }
        return weights
    }

    /// Continues the same world, random sequence and clock with the mix,
    /// rates, weights and profile of `configuration`: a live change of
    /// `PUT /v1/generator/config`. The world's fields (seed, accounts,
    /// currencies) must be the ones the simulator was made with; the caller
    /// refuses the others (409).
    ///
    /// A change applies from the next step on, so a run that changed at step
    /// *n* replays as the old configuration for *n* steps, then the new one.
    public mutating func reconfigure(_ configuration: GeneratorConfiguration) {
        precondition(
            configuration.accounts == self.configuration.accounts && configuration.currencies == self.configuration.currencies,
            "reconfigure cannot change the world"
        )
        self.configuration = configuration
        self.typeWeights = Self.typeWeights(of: configuration)
        self.scenarioChoice = configuration.fraudWeights.map { WeightedChoice(FraudPattern.allCases, weights: $0) }
        self.inconsistencyChoice = configuration.inconsistencyWeights.map { WeightedChoice(MismatchKind.injected, weights: $0) }
    }

    /// The account ids of the population ("acc-000001" ...).
    public func hasAccount(_ id: String) -> Bool {
        self.population.index(of: id) != nil
    }

    /// One step of normal traffic: usually one SimulatedEvent; when a fraud scenario starts (probability configuration.fraudRate per step) the whole scenario's events, in order. Inconsistencies (configuration.inconsistencyRate per transaction) are applied to transactions here.
    /// In the realistic profile, a step may also start an episode, and every
    /// scheduled episode event due by the step's last event comes with it,
    /// merged in time order.
    ///
    /// When no event is possible at the drawn time (every account picked was
    /// too busy, blocked or cooling down), business time moves on a minute and
    /// the step tries again. It returns an empty array only when the
    /// configuration makes every event impossible for hours of business time,
    /// e.g. a mix of only `account_unblocked` with nobody blocked, or only
    /// payments once every balance has run dry (no `topup` weight).
    public mutating func next() -> [SimulatedEvent] {
        let time = self.clock.advance(using: &self.random, rhythm: self.rhythm)
        self.maybeStartEpisode(at: time)
        return self.withDueEpisodeEvents(self.nextUnscheduled(at: time))
    }

    /// The step without the scheduled episode events: a fraud scenario or a
    /// normal event.
    private mutating func nextUnscheduled(at time: EventTimestamp) -> [SimulatedEvent] {
        if self.random.nextBool(probability: self.configuration.fraudRate) {
            let scenario = self.scenarioChoice.map { $0.draw(using: &self.random) } ?? self.random.pick(FraudPattern.allCases)
            if let index = self.pickScenarioAccount(at: time) {
                return self.runScenario(scenario, on: index, count: nil, startingAt: time)
            }
        }
        for _ in 0..<Self.idleRounds {
            for _ in 0..<Self.attemptsPerRound {
                if let event = self.normalEvent(at: self.clock.now) { return [event] }
            }
            self.clock.idle(microseconds: 60_000_000)
        }
        return []
    }

    /// Draws per business minute before letting time pass.
    static let attemptsPerRound = 64
    /// Business minutes to wait for an event to become possible.
    static let idleRounds = 600

    /// An event type by the mix weights; nil when every weight is 0.
    mutating func drawType() -> EventType? {
        guard let total = self.typeWeights.last?.cumulative else { return nil }
        let target = self.random.nextDouble() * total
        return self.typeWeights.first { $0.cumulative > target }?.type ?? self.typeWeights.last?.type
    }

    /// Whether the mix lets this type appear in normal traffic at all.
    func allows(_ type: EventType) -> Bool {
        self.typeWeights.contains { $0.type == type }
    }
}
