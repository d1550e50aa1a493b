/// The differences between `payflow:events` and the reference ledger that
/// reconciliation reports. The raw values are the contract: they are the
/// `kind` column of `reconciliation_mismatches`, the `kind` field on
/// `payflow:mismatches` and the names the generator's ground truth uses.
public enum MismatchKind: String, Sendable, CaseIterable, Hashable {
    /// An event whose transaction has no ledger row, once the grace period passed.
    case missingInReference = "missing_in_reference"
    /// A ledger row whose event never arrived, once the grace period passed.
    case missingInStream = "missing_in_stream"
    /// Ledger and event disagree on the amount.
    case amountMismatch = "amount_mismatch"
    /// Ledger and event disagree on the currency.
    case currencyMismatch = "currency_mismatch"
    /// Ledger and event disagree on the account.
    case accountMismatch = "account_mismatch"
    /// The same event id on two distinct stream entries (never a redelivery of one entry).
    case duplicateEvent = "duplicate_event"
}
