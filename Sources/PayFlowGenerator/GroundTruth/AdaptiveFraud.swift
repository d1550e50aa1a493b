import PayFlowDomain

/// Fraud that adapts to the rules: shaped to stay just under a rule's
/// thresholds. Labelled fraud, with names of their own (not the textbook
/// scenarios'), so recall per scenario shows what slips through.
///
/// The names are a contract of `generator_ground_truth.name`.
public enum AdaptiveFraud: String, Sendable, CaseIterable, Hashable {
    /// Rounds of at most 4 payments, each round more than 10 minutes after
    /// the last: never more than 4 in any 10-minute window.
    case velocityUnderThreshold = "velocity_under_threshold"
    /// Card-testing probes at distinct merchants, one every 2.6–6 minutes:
    /// never 5 in 10 minutes.
    case slowCardTesting = "slow_card_testing"
    /// A payment at home, then one from another country with just more time
    /// between them than the travel rule asks for.
    case plausibleTravel = "plausible_travel"

    /// The textbook pattern this fraud is a slower or quieter form of.
    public var evades: FraudPattern {
        switch self {
        case .velocityUnderThreshold: .velocityBurst
        case .slowCardTesting: .cardTesting
        case .plausibleTravel: .impossibleTravel
        }
    }
}
