import Foundation
import PayFlowDomain

/// Building events and applying them to the accounts: the one place where
/// balances, blocks and recent activity change, for normal traffic and fraud
/// scenarios alike, so the two can never disagree about an account.
extension TrafficSimulator {
    mutating func recordPayment(
        account index: Int, amount: Int64, merchant: String, country: String,
        ip: String, device: String, at time: EventTimestamp
    ) -> PaymentEvent {
        let account = self.population.accounts[index]
        let event = PaymentEvent(
            id: self.random.nextEventID(at: time), type: .payment, occurredAt: time,
            account: account.id, amount: amount, currency: account.currency,
            details: .init(merchant: merchant, country: country, ip: ip, device: device)
        )
        self.population.accounts[index].applyPayment(amount: amount, at: time)
        return event
    }

    mutating func recordTopup(account index: Int, amount: Int64, at time: EventTimestamp) -> PaymentEvent {
        let account = self.population.accounts[index]
        let source = self.random.nextBool(probability: 0.7) ? "card" : "bank_transfer"
        let event = PaymentEvent(
            id: self.random.nextEventID(at: time), type: .topup, occurredAt: time,
            account: account.id, amount: amount, currency: account.currency,
            details: .init(source: source)
        )
        self.population.accounts[index].applyTopup(amount: amount, at: time)
        return event
    }

    /// A refund of `payment`, which may be a payment the account never made
    /// (refund_abuse): then no remaining amount changes.
    mutating func recordRefund(
        account index: Int, of payment: UUID, amount: Int64, merchant: String, at time: EventTimestamp
    ) -> PaymentEvent {
        let account = self.population.accounts[index]
        let event = PaymentEvent(
            id: self.random.nextEventID(at: time), type: .refund, occurredAt: time,
            account: account.id, amount: amount, currency: account.currency,
            details: .init(merchant: merchant, originalPaymentID: payment)
        )
        self.population.accounts[index].applyRefund(amount: amount, of: payment)
        return event
    }

    mutating func recordBlock(account index: Int, at time: EventTimestamp, reason: String) -> PaymentEvent {
        let account = self.population.accounts[index]
        let event = PaymentEvent(
            id: self.random.nextEventID(at: time), type: .accountBlocked, occurredAt: time,
            account: account.id, amount: 0, currency: account.currency,
            details: .init(reason: reason)
        )
        self.population.block(index)
        return event
    }

    mutating func recordUnblock(account index: Int, at time: EventTimestamp, reason: String) -> PaymentEvent {
        let account = self.population.accounts[index]
        let event = PaymentEvent(
            id: self.random.nextEventID(at: time), type: .accountUnblocked, occurredAt: time,
            account: account.id, amount: 0, currency: account.currency,
            details: .init(reason: reason)
        )
        self.population.unblock(index)
        return event
    }

    /// Why normal traffic blocks an account; none of these is fraud the
    /// ground truth knows of.
    static let blockReasons = [
        "customer reported card lost", "kyc documents expired", "chargeback threshold reached",
        "manual review requested", "customer request",
    ]

    static let unblockReasons = [
        "review completed", "kyc documents renewed", "customer identity confirmed", "card replaced",
    ]
}
