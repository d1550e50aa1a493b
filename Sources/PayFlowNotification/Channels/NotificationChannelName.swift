/// Where notifications go, chosen per process with `NOTIFICATION_CHANNEL`.
/// The raw value is part of the notification id and the `channel` column, so
/// the same source delivered to two channels is two rows, each once.
public enum NotificationChannelName: String, Sendable, CaseIterable, Hashable {
    /// One structured swift-log line per notification.
    case log
    /// A signed HTTP POST of JSON to `WEBHOOK_URL`.
    case webhook
}
