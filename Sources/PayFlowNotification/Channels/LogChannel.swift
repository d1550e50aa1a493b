import Logging
import PayFlowRuntime

/// Delivers each notification as one structured swift-log line at `info`,
/// with the ids as metadata so a log pipeline can index and dedupe them.
/// Writing a log line cannot fail, so this channel always delivers, and it
/// is an ``InProcessNotificationChannel``: a batch's lines are written in
/// one loop, inside the transaction that records them, with no task per line,
/// and reach standard error in one write (``StandardErrorLog/batch(_:)``)
/// rather than a system call per line; still one line per notification.
public struct LogChannel: InProcessNotificationChannel {
    public var name: NotificationChannelName { .log }
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func deliver(_ message: NotificationMessage) async -> DeliveryResult {
        self.write(message)
        return .delivered()
    }

    public func deliverAll(_ messages: [NotificationMessage]) {
        StandardErrorLog.batch {
            for message in messages {
                self.write(message)
            }
        }
    }

    private func write(_ message: NotificationMessage) {
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
    }
}
