import Foundation
import PayFlowDomain

/// One step of the simulation: the event, what the ledger gets for it, how
/// many times it goes on the stream, and its ground-truth labels. The runner
/// turns it into ledger rows, ground-truth rows and XADDs, in that order.
public struct SimulatedEvent: Sendable, Equatable {
    public var event: PaymentEvent
    /// The reference-ledger row; nil when there is none (account events, or an
    /// injected `missing_in_reference`).
    public var ledger: LedgerRecord?
    /// Stream entries to write: 1 normally, 0 for `missing_in_stream`, 2 for
    /// `duplicate_event`.
    public var emissions: Int
    public var labels: [GroundTruthLabel]

    public init(event: PaymentEvent, ledger: LedgerRecord?, emissions: Int = 1, labels: [GroundTruthLabel] = []) {
        self.event = event
        self.ledger = ledger
        self.emissions = emissions
        self.labels = labels
    }
}

/// A row of `reference_transactions`, the store reconciliation trusts.
public struct LedgerRecord: Sendable, Equatable {
    public var transactionID: UUID
    public var account: String
    public var type: EventType
    public var amount: Int64
    public var currency: Currency
    public var occurredAt: EventTimestamp

    public init(transactionID: UUID, account: String, type: EventType, amount: Int64, currency: Currency, occurredAt: EventTimestamp) {
        self.transactionID = transactionID
        self.account = account
        self.type = type
        self.amount = amount
        self.currency = currency
        self.occurredAt = occurredAt
    }

    /// The ledger row that exactly matches an event.
    public init(matching event: PaymentEvent) {
        self.init(
            transactionID: event.id, account: event.account, type: event.type,
            amount: event.amount, currency: event.currency, occurredAt: event.occurredAt
        )
    }
}

/// What the ground truth says about one transaction (or event).
public struct GroundTruthLabel: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case fraud(FraudPattern)
        case inconsistency(MismatchKind)
        /// Fraud shaped to stay under a rule's thresholds (realistic profile).
        case adaptiveFraud(AdaptiveFraud)
        /// Legitimate traffic that looks like fraud (realistic profile): a
        /// false positive on it is one a real bank would also have to explain.
        case legitimate(HardNegative)
    }

    public var kind: Kind
    public var transactionID: UUID
    /// Groups the events of one fraud scenario run or realistic episode, so a
    /// scorer can count incidents as well as events; nil for inconsistencies.
    public var incidentID: UUID?

    public init(kind: Kind, transactionID: UUID, incidentID: UUID? = nil) {
        self.kind = kind
        self.transactionID = transactionID
        self.incidentID = incidentID
    }

    /// `fraud`, `inconsistency` or `legitimate`: the label's category column.
    /// Adaptive fraud is `fraud`, so every score counts it as fraud.
    public var category: String {
        switch self.kind {
        case .fraud, .adaptiveFraud: "fraud"
        case .inconsistency: "inconsistency"
        case .legitimate: "legitimate"
        }
    }

    /// The scenario or inconsistency name: the label's name column.
    public var name: String {
        switch self.kind {
        case .fraud(let scenario): scenario.scenarioName
        case .inconsistency(let kind): kind.rawValue
        case .adaptiveFraud(let shape): shape.rawValue
        case .legitimate(let shape): shape.rawValue
        }
    }
}
