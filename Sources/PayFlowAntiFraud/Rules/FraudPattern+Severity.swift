import PayFlowDomain

/// The rules the anti-fraud service evaluates are the domain's fraud
/// patterns; a rule's name on alerts is ``FraudPattern/ruleName``. How each
/// rule judges an event lives in ``AccountStateScript``.
extension FraudPattern {
    /// Fixed per rule, so that an operator can sort alerts without reading
    /// reasons: the rules whose pattern has no innocent reading are high.
    /// It travels as text in the alert's `severity` field.
    public var severity: String {
        switch self {
        case .blockedAccountActivity, .cardTesting, .impossibleTravel: "high"
        case .velocityBurst, .amountSpike, .topupDrain: "medium"
        case .refundAbuse: "medium"
        }
    }
}
