import PayFlowDomain
import PayFlowGenerator

extension FraudPattern {
    /// One line for `GET /v1/scenarios`, so a person choosing a scenario to
    /// run sees what it emits without reading the generator's code.
    var summary: String {
        switch self {
        case .velocityBurst: "Many payments from one account within a minute."
        case .cardTesting: "Many tiny payments at many different merchants."
        case .amountSpike: "One payment far above the account's habit."
        case .impossibleTravel: "Two payments from distant countries within minutes."
        case .blockedAccountActivity: "Payments on an account right after it was blocked."
        case .refundAbuse: "A refund above its payment, or of a payment that never existed."
        case .topupDrain: "A large top-up, then payments that drain it within minutes."
        }
    }
}
