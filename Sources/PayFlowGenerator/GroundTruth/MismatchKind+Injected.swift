import PayFlowDomain

extension MismatchKind {
    /// The kinds the generator injects on purpose, so reconciliation can be
    /// scored: each one is recorded in the ground truth with the transaction
    /// it affects. `account_mismatch` is not among them (the simulation never
    /// moves a transaction to another account), so a finding of it on
    /// generated traffic is a false positive.
    ///
    /// The order is the one the seeded random picks from: changing it changes
    /// what every seed produces.
    public static let injected: [MismatchKind] = [
        .amountMismatch,
        .currencyMismatch,
        .missingInReference,
        .missingInStream,
        .duplicateEvent,
    ]
}
