/// The Redis keys of PayFlow's streams: the contract between the generator,
/// the services and anyone inspecting them with `redis-cli`.
public enum StreamNames {
    /// Every payment-domain event the generator emits.
    public static let events = "payflow:events"
    /// Fraud alerts raised by the anti-fraud service.
    public static let alerts = "payflow:alerts"
    /// Differences the reconciliation service found against the ledger.
    public static let mismatches = "payflow:mismatches"

    /// The consumer groups of the platform's services.
    public static let consumerGroups = ["anti-fraud", "notification", "reconciliation", "analytics", "audit-log"]

    /// `payflow:dlq:<group>`: the dead-letter stream the runtime keeps for a
    /// group (the same format as `ConsumerGroupConfiguration.deadLetterStream`).
    public static func deadLetter(group: String) -> String { "payflow:dlq:\(group)" }

    /// The three streams the platform's work flows through (dead letters aside).
    public static let business = [events, alerts, mismatches]

    /// Every stream the audit log copies: the three business streams and the
    /// dead-letter stream of every service.
    public static var all: [String] {
        business + consumerGroups.map(deadLetter(group:))
    }
}
