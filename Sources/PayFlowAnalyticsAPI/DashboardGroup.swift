/// One consumer group on one stream, as the dashboard's table shows it.
struct DashboardGroup: Encodable, Sendable {
    var stream: String
    var group: String
    var consumers: Int
    var pending: Int
    var lag: Int?
    /// Entries read and acked per second since the previous sample; nil at
    /// the first sample of the group.
    var donePerSecond: Double?
    /// Wall-clock age of the oldest entry delivered and not acked, from the
    /// millisecond in its id (its XADD), as `payflow_group_oldest_pending_age_seconds`
    /// computes it; 0 when none is pending.
    var oldestPendingAgeSeconds: Double

    /// How the charts name the series: `analytics/events`.
    var key: String {
        let short = self.stream.hasPrefix("payflow:") ? String(self.stream.dropFirst("payflow:".count)) : self.stream
        return "\(self.group)/\(short)"
    }

    enum CodingKeys: String, CodingKey {
        case stream, group, consumers, pending, lag, key
        case donePerSecond = "done_per_second"
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.stream, forKey: .stream)
        try container.encode(self.group, forKey: .group)
        try container.encode(self.key, forKey: .key)
        try container.encode(self.consumers, forKey: .consumers)
        try container.encode(self.pending, forKey: .pending)
        try container.encode(self.lag, forKey: .lag)
        try container.encode(self.donePerSecond, forKey: .donePerSecond)
        try container.encode(self.oldestPendingAgeSeconds, forKey: .oldestPendingAgeSeconds)
    }
}
