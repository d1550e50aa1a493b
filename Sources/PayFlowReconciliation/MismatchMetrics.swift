import Metrics

/// `payflow_mismatches_total{kind}`: incremented once per mismatch row this
/// process inserted. Inserts are `ON CONFLICT DO NOTHING ... RETURNING`, so a
/// redelivery or another replica finding the same mismatch adds nothing, and
/// the sum over replicas equals the rows in `reconciliation_mismatches`.
enum MismatchMetrics {
    static func record(kinds: [String]) {
        for (kind, count) in Dictionary(grouping: kinds, by: { $0 }).mapValues(\.count) {
            Counter(label: "payflow_mismatches_total", dimensions: [("kind", kind)]).increment(by: count)
        }
    }
}
