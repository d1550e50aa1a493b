import Foundation
import PayFlowDomain
import PayFlowRedis

/// A verdict that a late event could still overturn, kept until it can't.
///
/// Two rules depend on the *absence* of an event: a payment is activity on a
/// blocked account only if no `account_unblocked` came before it, and a refund
/// is of an unknown payment only if that payment never came. With several
/// replicas, the missing event may simply be in another replica's batch at
/// that moment. So these verdicts wait until the group has processed every
/// entry up to the one that raised them (``ConsumptionWatermark``), and are
/// then judged again against the complete state (``ProvisionalVerdictSettler``).
public struct ProvisionalVerdict: Sendable, Hashable {
    /// The judged event (a payment, or a refund).
    public var eventID: UUID
    public var account: String
    public var rule: FraudPattern
    public var reason: String
    /// The judged event's business time: what the re-judgement looks at.
    public var judgedAt: EventTimestamp
    /// For a refund: the payment it refunds, and its amount.
    public var refundedPaymentID: UUID?
    public var refundAmount: Int64?
    /// The business time of the event whose evaluation raised it (an alert's `detected_at`).
    public var detectedAt: EventTimestamp
    /// The entry that raised it: settled once every entry up to it is processed.
    public var settleAfter: StreamEntryID

    public init(
        eventID: UUID, account: String, rule: FraudPattern, reason: String, judgedAt: EventTimestamp,
        refundedPaymentID: UUID? = nil, refundAmount: Int64? = nil, detectedAt: EventTimestamp, settleAfter: StreamEntryID
    ) {
        self.eventID = eventID
        self.account = account
        self.rule = rule
        self.reason = reason
        self.judgedAt = judgedAt
        self.refundedPaymentID = refundedPaymentID
        self.refundAmount = refundAmount
        self.detectedAt = detectedAt
        self.settleAfter = settleAfter
    }

    /// The alert it becomes if the re-judgement confirms it.
    public var alertID: String { AlertNotice.alertID(eventID: self.eventID, rule: self.rule) }
}
