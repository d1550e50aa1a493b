/// The sizes of a timeseries bucket. Minutes are stored; hours and days are
/// rolled up from them at query time, so all three always agree.
public enum TimeBucket: String, Sendable, CaseIterable {
    case minute
    case hour
    case day

    /// The bucket's length in seconds (UTC days have no leap seconds here,
    /// as in PostgreSQL).
    public var seconds: Int64 {
        switch self {
        case .minute: 60
        case .hour: 3600
        case .day: 86_400
        }
    }
}
