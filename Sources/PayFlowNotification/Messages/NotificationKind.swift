import PayFlowDomain

/// What a notification is about. The raw values are the contract: the `kind`
/// column of `notifications`, the `kind` field of the webhook payload and the
/// `kind` dimension of `payflow_notifications_total`.
public enum NotificationKind: String, Sendable, CaseIterable, Hashable {
    /// To the account holder, for every payment.
    case paymentReceipt = "payment_receipt"
    /// To the account holder, money back from a merchant.
    case refund
    /// To the account holder, money added to the account.
    case topup
    /// To the account holder, the account can no longer be used.
    case accountBlocked = "account_blocked"
    /// To the account holder, the account can be used again.
    case accountUnblocked = "account_unblocked"
    /// To the operations team, for every alert on `payflow:alerts`.
    case fraudAlert = "fraud_alert"
    /// To the operations team, for every mismatch on `payflow:mismatches`:
    /// the original design notifies on findings of both services, since a
    /// ledger that disagrees with the stream is as urgent as a fraud alert.
    case reconciliationMismatch = "reconciliation_mismatch"

    /// The holder's message for each event type: every type has one, so a new
    /// event type does not compile until it is given a message.
    public init(eventType: EventType) {
        switch eventType {
        case .payment: self = .paymentReceipt
        case .refund: self = .refund
        case .topup: self = .topup
        case .accountBlocked: self = .accountBlocked
        case .accountUnblocked: self = .accountUnblocked
        }
    }
}
