/// The rules the anti-fraud service evaluates. The raw values are what
/// `fraud_alerts.rule`, the `rule` field of `payflow:alerts` and the `rule`
/// dimension of `payflow_fraud_alerts_total` say; they match the generator's
/// scenario names one to one, so the report can put a rule next to the
/// pattern it is meant to catch.
public enum FraudRule: String, Sendable, CaseIterable, Hashable {
    /// More payments per account in a window than anyone makes by hand.
    case velocity
    /// Many tiny payments at distinct merchants: someone checking a stolen card.
    case cardTesting = "card_testing"
    /// One payment far above the account's history, or above an absolute limit.
    case amountSpike = "amount_spike"
    /// Two payments from countries too far apart for the time between them.
    case impossibleTravel = "impossible_travel"
    /// A payment while the account is blocked.
    case blockedAccountActivity = "blocked_account_activity"
    /// A refund above what is left of its payment, or of a payment never made.
    case refundAbuse = "refund_abuse"
    /// A large top-up spent almost entirely within minutes.
    case topupDrain = "topup_drain"

    /// The generator scenario the rule is meant to catch (`fraud-report`
    /// puts them side by side).
    public var scenario: String {
        self == .velocity ? "velocity_burst" : self.rawValue
    }

    /// Fixed per rule, so that an operator can sort alerts without reading
    /// reasons: the rules whose pattern has no innocent reading are high.
    public var severity: String {
        switch self {
        case .blockedAccountActivity, .cardTesting, .impossibleTravel: "high"
        case .velocity, .amountSpike, .topupDrain: "medium"
        case .refundAbuse: "medium"
        }
    }
}
