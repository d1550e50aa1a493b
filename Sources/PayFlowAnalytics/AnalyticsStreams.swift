import PayFlowDomain

/// The three streams the `analytics` group reads. Injected rather than fixed
/// so that tests run on streams of their own (`uniqueName(...)`) in a shared
/// Redis database; the command passes ``standard``.
public struct AnalyticsStreams: Sendable, Hashable {
    public var events: String
    public var alerts: String
    public var mismatches: String

    public init(events: String, alerts: String, mismatches: String) {
        self.events = events
        self.alerts = alerts
        self.mismatches = mismatches
    }

    /// `payflow:events`, `payflow:alerts`, `payflow:mismatches`.
    public static let standard = AnalyticsStreams(
        events: StreamNames.events, alerts: StreamNames.alerts, mismatches: StreamNames.mismatches
    )

    /// In the order the consumer group reads them.
    public var all: [String] { [self.events, self.alerts, self.mismatches] }
}
