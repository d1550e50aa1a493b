/// The differences between `payflow:events` and the reference ledger: what
/// the generator injects on purpose and what reconciliation reports are one
/// list, so that reconciliation can be scored against the ground truth.
///
/// The raw values are the contract: the `kind` column of
/// `reconciliation_mismatches`, the `kind` field on `payflow:mismatches` and
/// the `name` of an inconsistency in `generator_ground_truth`. How the
/// generator injects a kind and how reconciliation detects one stay in those
/// services.
public enum MismatchKind: String, Sendable, CaseIterable, Codable, Hashable {
    /// An event whose transaction has no ledger row (once the grace period passed);
    /// injected by emitting the event and writing no ledger row.
    case missingInReference = "missing_in_reference"
    /// A ledger row whose event never arrived (once the grace period passed);
    /// injected by writing the ledger row and never emitting the event.
    case missingInStream = "missing_in_stream"
    /// Ledger and event disagree on the amount.
    case amountMismatch = "amount_mismatch"
    /// Ledger and event disagree on the currency.
    case currencyMismatch = "currency_mismatch"
    /// Ledger and event disagree on the account. The generator never injects
    /// it, so on generated traffic a finding of it is a false positive.
    case accountMismatch = "account_mismatch"
    /// The same event id on two distinct stream entries (never a redelivery of
    /// one entry); injected by emitting one event twice.
    case duplicateEvent = "duplicate_event"
}
