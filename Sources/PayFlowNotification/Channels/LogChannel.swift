import Logging

/// Delivers each notification as one structured swift-log line at `info`,
/// with the ids as metadata so a log pipeline can index and dedupe them.
/// Writing a log line cannot fail, so this channel always delivers.
public struct LogChannel: NotificationChannel {
    public var name: NotificationChannelName { .log }
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func deliver(_ message: NotificationMessage) async -> DeliveryResult {
        self.logger.info(
            "\(message.subject): \(message.body)",
            metadata: [
                "notification_id": "\(message.idString)",
                "event_id": "\(message.eventID)",
                "source_stream": "\(message.sourceStream)",
                "source_id": "\(message.sourceID)",
                "kind": "\(message.kind.rawValue)",
                "recipient": "\(message.recipient)",
                "channel": "log",
            ]
        )
        return .delivered()
    }
}
