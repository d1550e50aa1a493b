/// The kinds of event on `payflow:events`. Suspicious operations are not a
/// type of their own: they are payments, refunds and top-ups whose pattern is
/// suspicious, and only the generator's ground truth says which.
public enum EventType: String, Sendable, CaseIterable, Codable, CodingKeyRepresentable, Hashable {
    case payment
    case refund
    case topup
    case accountBlocked = "account_blocked"
    case accountUnblocked = "account_unblocked"

    /// Money moves, so the event has a row in the reference ledger.
    public var isTransaction: Bool {
        switch self {
        case .payment, .refund, .topup: true
        case .accountBlocked, .accountUnblocked: false
        }
    }
}
