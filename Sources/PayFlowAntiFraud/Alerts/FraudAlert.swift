import Foundation
import PayFlowDomain

/// One alert: a rule fired on an event.
///
/// The id is `<event-id>:<rule>` (``AlertNotice/alertID(eventID:rule:)``),
/// derived from what was detected, so every replica and every redelivery
/// computes the same id and PostgreSQL keeps one row. `detectedAt` is the
/// business time of the event whose evaluation raised it, for the same
/// reason: a wall-clock time would differ per replica.
public struct FraudAlert: Sendable, Hashable {
    public var eventID: UUID
    public var account: String
    public var rule: FraudPattern
    public var reason: String
    public var detectedAt: EventTimestamp

    public init(eventID: UUID, account: String, rule: FraudPattern, reason: String, detectedAt: EventTimestamp) {
        self.eventID = eventID
        self.account = account
        self.rule = rule
        self.reason = reason
        self.detectedAt = detectedAt
    }

    public var alertID: String { AlertNotice.alertID(eventID: self.eventID, rule: self.rule) }

    public var severity: String { self.rule.severity }

    /// The alert as the `payflow:alerts` contract carries it: its row in
    /// `fraud_alerts` and its stream entry are both written from this.
    public var notice: AlertNotice {
        AlertNotice(
            alertID: self.alertID,
            eventID: self.eventID.lowercasedText,
            account: self.account,
            rule: self.rule.ruleName,
            severity: self.severity,
            reason: self.reason,
            detectedAt: self.detectedAt
        )
    }
}
