import PayFlowDomain

/// What the REST API can ask of the generator. The API validates and
/// translates HTTP; the generator owns state, so the two meet here.
public protocol GeneratorControl: Sendable {
    /// Configuration, running state, counters, achieved rate.
    func status() async -> GeneratorStatus
    /// Replaces the configuration; throws and keeps the old one when invalid.
    /// Stopped, it takes effect at the next start; running, within a second,
    /// except for the world's fields, refused (``GeneratorConfigurationError/Reason/changesRunningWorld``).
    func configure(_ configuration: GeneratorConfiguration) async throws(GeneratorConfigurationError)
    /// Starts generating; throws ``GeneratorControlError/alreadyRunning`` when running.
    func start() async throws(GeneratorControlError)
    /// Stops generating; stopping a stopped generator is fine.
    func stop() async
    /// Runs one fraud scenario now and returns the events it emitted.
    func runScenario(_ scenario: FraudPattern, parameters: ScenarioParameters) async throws(GeneratorControlError) -> [PaymentEvent]
    /// Emits one event as given (already validated), with its ledger row when
    /// it is a transaction and its ground-truth label when given, and returns
    /// its stream entry id.
    func inject(_ event: PaymentEvent, label: EventLabel?) async throws(GeneratorControlError) -> String
}

/// Why a control request could not be carried out.
public enum GeneratorControlError: Error, Sendable, Equatable, CustomStringConvertible {
    case alreadyRunning
    case unknownAccount(String)
    case invalidParameter(String)
    /// Redis or PostgreSQL refused or is unreachable; retrying later may work.
    case unavailable(String)

    public var description: String {
        switch self {
        case .alreadyRunning: "the generator is already running; stop it first"
        case .unknownAccount(let account): "unknown account '\(account)'"
        case .invalidParameter(let why): why
        case .unavailable(let why): "a backing store is unavailable: \(why)"
        }
    }
}

/// `GET /v1/generator`.
public struct GeneratorStatus: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        case stopped
        /// Stopped, but the batch being written at the stop has not landed
        /// yet (a store is down and it is being retried).
        case stopping
        case running
        /// Running, but waiting because a consumer group lags too far behind.
        case pausedForLag = "paused_for_lag"
    }

    public var state: State
    public var configuration: GeneratorConfiguration
    /// Events emitted since the generator process started, by type.
    public var emittedByType: [EventType: Int]
    public var emittedTotal: Int
    /// Events per second over the current (or last) run.
    public var achievedRate: Double
    /// The largest lag of a consumer group on `payflow:events`, last seen.
    public var largestGroupLag: Int?
    public var maxLag: Int?
    /// The simulated world continued (`generator_worlds`); nil until loaded.
    public var world: Int?
    /// `acc-` for world 1, `w<N>-acc-` after: a new world never reuses an account.
    public var accountPrefix: String?
    /// The current (or last) run (`generator_runs`).
    public var run: Int?
    /// The target events per second now (rate and load profile); nil when
    /// stopped or as fast as possible.
    public var currentRate: Double?
    /// Seconds since the load profile took effect; nil when stopped.
    public var loadProfileElapsedSeconds: Double?
    /// Live changes of the events' configuration in the current run
    /// (`generator_configuration_changes`).
    public var configurationChanges: Int

    public init(
        state: State,
        configuration: GeneratorConfiguration,
        emittedByType: [EventType: Int],
        emittedTotal: Int,
        achievedRate: Double,
        largestGroupLag: Int?,
        maxLag: Int?,
        world: Int? = nil,
        accountPrefix: String? = nil,
        run: Int? = nil,
        currentRate: Double? = nil,
        loadProfileElapsedSeconds: Double? = nil,
        configurationChanges: Int = 0
    ) {
        self.state = state
        self.configuration = configuration
        self.emittedByType = emittedByType
        self.emittedTotal = emittedTotal
        self.achievedRate = achievedRate
        self.largestGroupLag = largestGroupLag
        self.maxLag = maxLag
        self.world = world
        self.accountPrefix = accountPrefix
        self.run = run
        self.currentRate = currentRate
        self.loadProfileElapsedSeconds = loadProfileElapsedSeconds
        self.configurationChanges = configurationChanges
    }

    enum CodingKeys: String, CodingKey {
        case state
        case configuration
        case emittedByType = "emitted_by_type"
        case emittedTotal = "emitted_total"
        case achievedRate = "achieved_rate"
        case largestGroupLag = "largest_group_lag"
        case maxLag = "max_lag"
        case world
        case accountPrefix = "account_prefix"
        case run
        case currentRate = "current_rate"
        case loadProfileElapsedSeconds = "load_profile_elapsed_seconds"
        case configurationChanges = "configuration_changes"
    }
}
