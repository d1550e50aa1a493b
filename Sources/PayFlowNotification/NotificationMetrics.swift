import Metrics

/// `payflow_notifications_total{channel,kind,status}`, counted once the
/// outcome is recorded in `notifications`. `status` is `delivered`, `failed`
/// (left for redelivery), `rejected` (permanent; dead-lettered) or `skipped`
/// (already delivered by an earlier delivery of the entry or by a duplicate
/// entry: what a redelivery costs, and nothing is sent).
enum NotificationMetrics {
    static func record(channel: NotificationChannelName, kind: NotificationKind, status: String, count: Int = 1) {
        guard count > 0 else { return }
        Counter(
            label: "payflow_notifications_total",
            dimensions: [("channel", channel.rawValue), ("kind", kind.rawValue), ("status", status)]
        ).increment(by: count)
    }
}
