/// `GET /v1/stats/notifications`: what the notification service did, read
/// from its `notifications` table (analytics may SELECT it, db/0016).
public struct NotificationFigures: Sendable, Hashable {
    /// The counts of one channel, or of one channel and kind.
    public struct Counts: Sendable, Hashable {
        public var channel: String
        /// Nil in the per-channel totals.
        public var kind: String?
        public var sent: Int64
        public var failed: Int64
        public var pending: Int64
        /// Attempts beyond each notification's first.
        public var retried: Int64

        public init(channel: String, kind: String?, sent: Int64, failed: Int64, pending: Int64, retried: Int64) {
            self.channel = channel
            self.kind = kind
            self.sent = sent
            self.failed = failed
            self.pending = pending
            self.retried = retried
        }
    }

    /// Per channel and kind, by channel then kind.
    public var kinds: [Counts]

    public init(kinds: [Counts]) {
        self.kinds = kinds
    }

    /// Per channel, by channel: the sums of ``kinds``.
    public var channels: [Counts] {
        var totals: [Counts] = []
        for counts in self.kinds {
            if totals.last?.channel == counts.channel {
                totals[totals.count - 1].sent += counts.sent
                totals[totals.count - 1].failed += counts.failed
                totals[totals.count - 1].pending += counts.pending
                totals[totals.count - 1].retried += counts.retried
            } else {
                totals.append(Counts(channel: counts.channel, kind: nil, sent: counts.sent, failed: counts.failed, pending: counts.pending, retried: counts.retried))
            }
        }
        return totals
    }
}
