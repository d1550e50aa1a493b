/// An entry of `payflow:alerts` as the services downstream of anti-fraud read
/// it. Anti-fraud owns the rules; consumers only need the flat fields, so this
/// type keeps `rule` and `severity` as text and does not depend on the rule list.
public struct AlertNotice: Sendable, Hashable {
    /// `<event-id>:<rule>`: stable across replicas and redeliveries.
    public var alertID: String
    public var eventID: String
    public var account: String
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

    static let fieldNames: Set<String> = ["alert_id", "event_id", "account", "rule", "severity", "reason", "detected_at"]

    /// Strict, like ``PaymentEvent/init(fields:)``: an entry that does not
    /// parse is dead-lettered with this error as its reason.
    public init(fields: some Sequence<(name: String, value: String)>) throws(EventDecodingError) {
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
