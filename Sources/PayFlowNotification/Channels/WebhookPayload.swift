import Foundation

/// The JSON a webhook receives. Keys are sorted and the payload holds no send
/// time, so every copy of one notification has the same bytes, hence the same
/// signature: a retry is indistinguishable from the first attempt except by
/// arrival.
public struct WebhookPayload: Codable, Sendable, Equatable {
    public var notificationID: String
    public var kind: String
    public var recipient: String
    public var subject: String
    public var body: String
    public var sourceStream: String
    public var sourceID: String
    public var eventID: String
    public var occurredAt: String

    enum CodingKeys: String, CodingKey {
        case notificationID = "notification_id"
        case kind
        case recipient
        case subject
        case body
        case sourceStream = "source_stream"
        case sourceID = "source_id"
        case eventID = "event_id"
        case occurredAt = "occurred_at"
    }

    public init(_ message: NotificationMessage) {
        self.notificationID = message.idString
        self.kind = message.kind.rawValue
        self.recipient = message.recipient
        self.subject = message.subject
        self.body = message.body
        self.sourceStream = message.sourceStream
        self.sourceID = message.sourceID
        self.eventID = message.eventID
        self.occurredAt = message.occurredAt
    }

    /// The exact bytes sent and signed.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
