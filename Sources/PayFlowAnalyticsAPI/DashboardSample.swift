/// Everything the dashboard shows at one moment, as ``DashboardFeed`` pushes
/// it to every open page (one `sample` server-sent event).
///
/// The figures are the API's own response types, so the page shows exactly
/// what `/v1/stats/...` answers and the browser test can compare the two.
/// A part that could not be read this time is nil and its error is in
/// ``errors``: one slow or failing source must not blank the whole page.
struct DashboardSample: Encodable, Sendable {
    /// Wall clock of the analytics process when the sample was taken,
    /// milliseconds since 1970.
    var takenAt: Int64
    var summary: Components.Schemas.Summary?
    var alerts: Components.Schemas.AlertStats?
    var mismatches: Components.Schemas.MismatchStats?
    /// Refreshed every few samples only (the reports read whole tables);
    /// the last one read otherwise.
    var detection: Components.Schemas.Detection?
    var groups: [DashboardGroup]
    /// This sample's point of the charts, also appended to ``DashboardHistory``.
    var point: DashboardHistory.Point
    var errors: [String]

    enum CodingKeys: String, CodingKey {
        case takenAt = "taken_at"
        case summary, alerts, mismatches, detection, groups, point, errors
    }
}
