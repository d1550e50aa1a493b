/// The fraud patterns the generator can inject, at `fraud_rate` or on demand
/// (`POST /v1/scenarios/{name}`). Each fraudulent event is labelled with its
/// scenario in the ground truth, never in the event itself.
public enum FraudScenario: String, Sendable, CaseIterable, Codable, Hashable {
    /// Many payments from one account within a minute.
    case velocityBurst = "velocity_burst"
    /// Many tiny payments at many different merchants.
    case cardTesting = "card_testing"
    /// One payment far above the account's habit.
    case amountSpike = "amount_spike"
    /// Two payments from distant countries within minutes.
    case impossibleTravel = "impossible_travel"
    /// Payments on an account right after it was blocked.
    case blockedAccountActivity = "blocked_account_activity"
    /// A refund above its payment, or of a payment that never existed.
    case refundAbuse = "refund_abuse"
    /// A large top-up, then payments that drain it within minutes.
    case topupDrain = "topup_drain"
}

/// Optional knobs of an on-demand scenario.
public struct ScenarioParameters: Sendable, Equatable, Codable {
    /// The account to use (must exist in the population); nil picks one.
    public var account: String?
    /// How many events the pattern has, where the scenario has a count.
    public var count: Int?

    public init(account: String? = nil, count: Int? = nil) {
        self.account = account
        self.count = count
    }
}
