import Foundation

/// An entry of `payflow:alerts`: the contract between anti-fraud, which
/// writes it (through ``fields``), and the services downstream, which read it
/// (through ``init(fields:)``). Consumers only need the flat fields, so this
/// type keeps `rule` and `severity` as text: a rule anti-fraud adds later is
/// still read, not dead-lettered.
public struct AlertNotice: Sendable, Hashable {
    /// `<event-id>:<rule>` (``alertID(eventID:rule:)``): stable across replicas and redeliveries.
    public var alertID: String
    public var eventID: String
    public var account: String
    /// A ``FraudPattern/ruleName``.
    public var rule: String
    public var severity: String
    public var reason: String
    /// The business time of the event that raised it.
    public var detectedAt: EventTimestamp

    public init(alertID: String, eventID: String, account: String, rule: String, severity: String, reason: String, detectedAt: EventTimestamp) {
        self.alertID = alertID
        self.eventID = eventID
        self.account = account
        self.rule = rule
        self.severity = severity
        self.reason = reason
        self.detectedAt = detectedAt
    }

    /// The id of the alert `rule` raises on `eventID`. Derived from what was
    /// detected, so every replica and every redelivery computes the same id
    /// and PostgreSQL keeps one row.
    public static func alertID(eventID: UUID, rule: FraudPattern) -> String {
        "\(eventID.lowercasedText):\(rule.ruleName)"
    }

    // MARK: - Writing

    /// The entry's flat fields, in a fixed order.
    public var fields: [(name: String, value: String)] {
        [
            ("alert_id", self.alertID),
            ("event_id", self.eventID),
            ("account", self.account),
            ("rule", self.rule),
            ("severity", self.severity),
            ("reason", self.reason),
            ("detected_at", self.detectedAt.description),
        ]
    }

    // MARK: - Reading

    static let fieldNames: Set<String> = ["alert_id", "event_id", "account", "rule", "severity", "reason", "detected_at"]

    /// Strict, like ``PaymentEvent/init(fields:)``: an entry that does not
    /// parse is dead-lettered with this error as its reason.
    public init(fields: [(name: String, value: String)]) throws(EventDecodingError) {
        let values = try FlatFields(fields, allowed: Self.fieldNames)
        self.init(
            alertID: try values.required("alert_id"),
            eventID: try values.required("event_id"),
            account: try values.required("account"),
            rule: try values.required("rule"),
            severity: try values.required("severity"),
            reason: try values.required("reason"),
            detectedAt: try values.time("detected_at")
        )
    }
}
