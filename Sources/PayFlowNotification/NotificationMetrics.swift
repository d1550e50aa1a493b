import Metrics

/// `payflow_notifications_total{channel,kind,status}`, counted once the
/// outcome is recorded in `notifications`. `status` is `delivered`, `failed`
/// (left for redelivery), `rejected` (permanent; dead-lettered) or `skipped`
/// (already delivered by an earlier delivery of the entry or by a duplicate
/// entry: what a redelivery costs, and nothing is sent).
enum NotificationMetrics {
    /// A batch's outcomes by kind and status, added to the counters once per
    /// pair when the batch is recorded. Why not a counter per message: making a
    /// `Counter` is a lookup in the Prometheus registry (a lock, the labels
    /// checked and hashed), ~2 % of the service's CPU in a profile of the bench.
    struct Tally {
        private struct Pair: Hashable {
            var kind: NotificationKind
            var status: String
        }

        private var counts: [Pair: Int] = [:]

        mutating func add(_ kind: NotificationKind, _ status: String, count: Int = 1) {
            guard count > 0 else { return }
            self.counts[Pair(kind: kind, status: status), default: 0] += count
        }

        func record(channel: NotificationChannelName) {
            for (pair, count) in self.counts {
                NotificationMetrics.record(channel: channel, kind: pair.kind, status: pair.status, count: count)
            }
        }
    }

    private static func record(channel: NotificationChannelName, kind: NotificationKind, status: String, count: Int = 1) {
        guard count > 0 else { return }
        Counter(
            label: "payflow_notifications_total",
            dimensions: [("channel", channel.rawValue), ("kind", kind.rawValue), ("status", status)]
        ).increment(by: count)
    }
}
