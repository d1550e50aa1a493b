import Foundation
import PayFlowDomain
import PayFlowRedis

/// One rendered notification, ready for a channel: who it is for, what it
/// says, and the ids that make its delivery idempotent.
public struct NotificationMessage: Sendable, Hashable {
    /// Deterministic (see ``NotificationID``): the row key and the Idempotency-Key.
    public var id: UUID
    public var kind: NotificationKind
    /// The stream the entry came from, as read (`payflow:events`, `payflow:alerts`, `payflow:mismatches`).
    public var sourceStream: String
    /// The event id, the alert id or the mismatch id.
    public var sourceID: String
    public var eventID: String
    public var channel: NotificationChannelName
    public var recipient: String
    public var subject: String
    public var body: String
    /// The business time of the source (the event's `occurred_at`, the alert's
    /// or the mismatch's `detected_at`), RFC 3339: the payload carries no send time, so every
    /// copy of a notification is byte for byte the same.
    public var occurredAt: String

    public init(
        source: NotificationSource,
        sourceStream: String,
        channel: NotificationChannelName,
        rendered: NotificationTemplates.Rendered
    ) {
        self.id = NotificationID.make(sourceKind: source.streamKind, sourceID: source.sourceID, channel: channel.rawValue)
        self.kind = source.kind
        self.sourceStream = sourceStream
        self.sourceID = source.sourceID
        self.eventID = source.eventID
        self.channel = channel
        self.recipient = source.recipient
        self.subject = rendered.subject
        self.body = rendered.body
        switch source {
        case .event(let event): self.occurredAt = event.occurredAt.description
        case .alert(let alert): self.occurredAt = alert.detectedAt.description
        case .mismatch(let mismatch): self.occurredAt = mismatch.detectedAt.description
        }
    }

    /// The id as text, lower case, as it appears in headers, logs and SQL.
    public var idString: String { self.id.lowercasedText }
}
