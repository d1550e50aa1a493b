/// The platform's consumer groups by name, and which business streams each
/// reads: the one catalogue that the services' builders, `payflow streams`,
/// the bench and the fault suite all take their names from.
///
/// A name is also the group's identity in Redis (`XINFO GROUPS`), the label
/// of its metrics and the suffix of its dead-letter stream, so renaming one
/// is a migration, not a refactor.
public struct ConsumerGroupName: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    /// The business streams the group reads. The audit log also reads every
    /// group's dead-letter stream; its builder adds those.
    public let streams: [String]

    public init(name: String, streams: [String]) {
        self.name = name
        self.streams = streams
    }

    public var description: String { self.name }

    public static let antiFraud = ConsumerGroupName(name: "anti-fraud", streams: [StreamNames.events])
    public static let notification = ConsumerGroupName(name: "notification", streams: StreamNames.business)
    public static let reconciliation = ConsumerGroupName(name: "reconciliation", streams: [StreamNames.events])
    public static let analytics = ConsumerGroupName(name: "analytics", streams: StreamNames.business)
    public static let auditLog = ConsumerGroupName(name: "audit-log", streams: StreamNames.business)

    /// The five services' groups, in the order tables list them.
    public static let platform: [ConsumerGroupName] = [.antiFraud, .notification, .reconciliation, .analytics, .auditLog]
}
