import Foundation
import PayFlowDomain

/// One alert: a rule fired on an event.
///
/// The id is `<event-id>:<rule>`, derived from what was detected, so every
/// replica and every redelivery computes the same id and PostgreSQL keeps one
/// row. `detectedAt` is the business time of the event whose evaluation raised
/// it, for the same reason: a wall-clock time would differ per replica.
public struct FraudAlert: Sendable, Hashable {
    public var eventID: UUID
    public var account: String
    public var rule: FraudRule
    public var reason: String
    public var detectedAt: EventTimestamp

    public init(eventID: UUID, account: String, rule: FraudRule, reason: String, detectedAt: EventTimestamp) {
        self.eventID = eventID
        self.account = account
        self.rule = rule
        self.reason = reason
        self.detectedAt = detectedAt
    }

    public var alertID: String { Self.alertID(eventID: self.eventID, rule: self.rule) }

    public var severity: String { self.rule.severity }

    public static func alertID(eventID: UUID, rule: FraudRule) -> String {
        "\(eventID.uuidString.lowercased()):\(rule.rawValue)"
    }

    /// The flat fields of its `payflow:alerts` entry.
    public var streamFields: [(name: String, value: String)] {
        [
            ("alert_id", self.alertID),
            ("event_id", self.eventID.uuidString.lowercased()),
            ("account", self.account),
            ("rule", self.rule.rawValue),
            ("severity", self.severity),
            ("reason", self.reason),
            ("detected_at", self.detectedAt.description),
        ]
    }
}
