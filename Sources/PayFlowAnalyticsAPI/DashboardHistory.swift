/// The last fifteen minutes of per-group figures the dashboard charts: lag,
/// entries done per second and the age of the oldest pending entry, one
/// point per sample of ``DashboardFeed``.
///
/// Kept in memory only, in the analytics process that samples it: charts of
/// the recent past are what an operator watching the page needs, and Redis
/// can answer the present but not the past. A restart therefore starts the
/// charts afresh (the page says so); Prometheus keeps the long history.
struct DashboardHistory: Sendable {
    /// One sample of every group, by ``DashboardGroup/key``.
    struct Point: Encodable, Sendable {
        /// Wall clock of the analytics process, milliseconds since 1970.
        var t: Int64
        /// `[lag, done per second, oldest pending age in seconds]`; a value
        /// is null when Redis could not tell it (lag after a trim) or, for
        /// the rate, at the first sample of a group.
        var g: [String: [Double?]]
    }

    /// How far back the charts reach.
    static let windowMilliseconds: Int64 = 15 * 60 * 1000

    /// Each point as JSON, encoded once when sampled: a page that connects
    /// gets them all joined, with no encoding while the feed's lock is held.
    private(set) var points: [(t: Int64, json: String)] = []

    /// Appends `point` and forgets what fell out of the window, so memory
    /// stays bounded whatever the uptime (about 450 points at one per 2 s).
    mutating func append(t: Int64, json: String) {
        self.points.append((t, json))
        let oldest = t - Self.windowMilliseconds
        if let keep = self.points.firstIndex(where: { $0.t >= oldest }), keep > 0 {
            self.points.removeFirst(keep)
        }
    }

    /// `{"window_ms":...,"points":[...]}`, the `history` event a page gets on connecting.
    var json: String {
        #"{"window_ms":\#(Self.windowMilliseconds),"points":["# + self.points.map(\.json).joined(separator: ",") + "]}"
    }
}
