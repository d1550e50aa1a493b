import PayFlowDomain

/// What one event does to its account's balance: signed, in minor units of
/// the event's currency. Account blocks and unblocks move no money.
public struct BalanceChange: Sendable, Hashable {
    public var account: String
    public var currency: Currency
    public var delta: Int64

    public init?(_ event: PaymentEvent) {
        switch event.type {
        case .payment: self.delta = -event.amount
        case .refund, .topup: self.delta = event.amount
        case .accountBlocked, .accountUnblocked: return nil
        }
        self.account = event.account
        self.currency = event.currency
    }
}
