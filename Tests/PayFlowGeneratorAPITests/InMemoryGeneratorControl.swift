import Foundation
import PayFlowDomain
import PayFlowGenerator

/// A `GeneratorControl` without Redis or PostgreSQL: it keeps the state the
/// API reads and records what the API asked, so the tests see the HTTP
/// translation alone. Failures of the real generator are injected by setting
/// `scenarioFailure` / `injectFailure`.
actor InMemoryGeneratorControl: GeneratorControl {
    private(set) var configuration = GeneratorConfiguration()
    private(set) var state: GeneratorStatus.State = .stopped
    private(set) var scenarioRuns: [(FraudPattern, ScenarioParameters)] = []
    private(set) var injected: [PaymentEvent] = []
    private(set) var labels: [EventLabel?] = []
    private var scenarioFailure: GeneratorControlError?
    private var injectFailure: GeneratorControlError?

    /// The accounts `runScenario` accepts; others are unknown.
    static let knownAccount = "acc-000042"

    func failScenarios(with error: GeneratorControlError?) {
        self.scenarioFailure = error
    }

    func failInjections(with error: GeneratorControlError?) {
        self.injectFailure = error
    }

    func status() async -> GeneratorStatus {
        GeneratorStatus(
            state: self.state,
            configuration: self.configuration,
            emittedByType: [.payment: 7, .topup: 2],
            emittedTotal: 9,
            achievedRate: 12.5,
            largestGroupLag: 3,
            maxLag: nil
        )
    }

    func configure(_ configuration: GeneratorConfiguration) async throws(GeneratorConfigurationError) {
        try configuration.validate()
        if self.state == .running, !self.configuration.hasSameWorld(as: configuration, runningSeed: self.configuration.seed) {
            throw GeneratorConfigurationError(field: "accounts", problem: "cannot change while running; stop it first", reason: .changesRunningWorld)
        }
        self.configuration = configuration
    }

    func start() async throws(GeneratorControlError) {
        guard self.state == .stopped else { throw .alreadyRunning }
        self.state = .running
    }

    func stop() async {
        self.state = .stopped
    }

    func runScenario(_ scenario: FraudPattern, parameters: ScenarioParameters) async throws(GeneratorControlError) -> [PaymentEvent] {
        self.scenarioRuns.append((scenario, parameters))
        if let failure = self.scenarioFailure { throw failure }
        let account = parameters.account ?? Self.knownAccount
        guard account == Self.knownAccount else { throw .unknownAccount(account) }
        if let count = parameters.count, count < 1 {
            throw .invalidParameter("count must be at least 1, got \(count)")
        }
        return (0..<(parameters.count ?? 2)).map { index in
            Self.payment(account: account, amount: 100 + Int64(index))
        }
    }

    func inject(_ event: PaymentEvent, label: EventLabel?) async throws(GeneratorControlError) -> String {
        if let failure = self.injectFailure { throw failure }
        self.injected.append(event)
        self.labels.append(label)
        return "1764079387123-\(self.injected.count - 1)"
    }

    static func payment(account: String, amount: Int64) -> PaymentEvent {
        PaymentEvent(
            id: UUID(),
            type: .payment,
            occurredAt: EventTimestamp(rfc3339: "2026-11-25T14:03:07.123456Z")!,
            account: account,
            amount: amount,
            currency: .eur,
            details: .init(merchant: "m-coffee-17", country: "FR", ip: "203.0.113.7", device: "d-9a1f")
        )
    }
}
