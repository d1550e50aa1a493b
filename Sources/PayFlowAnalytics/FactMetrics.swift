import Metrics

/// `payflow_analytics_facts_total{kind}`: facts this process inserted, per
/// stream kind (`event`, `alert`, `mismatch`). Only rows the insert returned
/// count, so redeliveries add nothing and the sum over replicas equals the
/// rows of the fact tables.
enum FactMetrics {
    static func record(_ recorded: FactRecorder.Recorded) {
        for (kind, count) in [(AnalyticsMessage.Kind.event, recorded.events), (.alert, recorded.alerts), (.mismatch, recorded.mismatches)] where count > 0 {
            Counter(label: "payflow_analytics_facts_total", dimensions: [("kind", kind.rawValue)]).increment(by: count)
        }
    }
}
