/// The differences between stream and ledger the generator injects on
/// purpose, so reconciliation can be scored: each one is recorded in the
/// ground truth with the transaction it affects.
public enum InconsistencyKind: String, Sendable, CaseIterable, Codable, Hashable {
    /// The ledger row has a different amount than the event.
    case amountMismatch = "amount_mismatch"
    /// The ledger row has a different currency than the event.
    case currencyMismatch = "currency_mismatch"
    /// The event is emitted but no ledger row is written.
    case missingInReference = "missing_in_reference"
    /// The ledger row is written but the event is never emitted.
    case missingInStream = "missing_in_stream"
    /// The same event (same id) is emitted twice, as two stream entries.
    case duplicateEvent = "duplicate_event"
}
