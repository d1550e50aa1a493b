/// The fraud patterns of the platform: what the generator plants (a
/// *scenario*) and what anti-fraud looks for (a *rule*) are the same list, so
/// that a rule can be scored against the pattern it is meant to catch.
///
/// The pattern has two names on the wire, and both are fixed contracts:
/// ``scenarioName`` is the name of `POST /v1/scenarios/{name}` and of the
/// ground truth (`generator_ground_truth.name`); ``ruleName`` is what
/// `fraud_alerts.rule`, the `rule` field of `payflow:alerts` and the `rule`
/// dimension of `payflow_fraud_alerts_total` say. They differ only for
/// ``velocityBurst`` (`velocity_burst` / `velocity`). The enum has no raw value
/// on purpose: every use must say which of the two names it means.
///
/// How the generator simulates a pattern and how anti-fraud judges one stay
/// in those services.
public enum FraudPattern: Sendable, CaseIterable, Hashable {
    /// Many payments from one account within a minute; the rule fires on more
    /// payments per account in a window than anyone makes by hand.
    case velocityBurst
    /// Many tiny payments at distinct merchants: someone checking a stolen card.
    case cardTesting
    /// One payment far above the account's habit, or above an absolute limit.
    case amountSpike
    /// Two payments from countries too far apart for the time between them.
    case impossibleTravel
    /// Payments on an account right after (while) it was blocked.
    case blockedAccountActivity
    /// A refund above what is left of its payment, or of a payment never made.
    case refundAbuse
    /// A large top-up spent almost entirely within minutes.
    case topupDrain

    /// The generator's name: scenarios API and ground truth.
    public var scenarioName: String {
        switch self {
        case .velocityBurst: "velocity_burst"
        case .cardTesting: "card_testing"
        case .amountSpike: "amount_spike"
        case .impossibleTravel: "impossible_travel"
        case .blockedAccountActivity: "blocked_account_activity"
        case .refundAbuse: "refund_abuse"
        case .topupDrain: "topup_drain"
        }
    }

    /// Anti-fraud's name: alert rows, alert entries and the alert counter.
    public var ruleName: String {
        self == .velocityBurst ? "velocity" : self.scenarioName
    }

    public init?(scenarioName: String) {
        guard let pattern = Self.allCases.first(where: { $0.scenarioName == scenarioName }) else { return nil }
        self = pattern
    }

    public init?(ruleName: String) {
        guard let pattern = Self.allCases.first(where: { $0.ruleName == ruleName }) else { return nil }
        self = pattern
    }
}
