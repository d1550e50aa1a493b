import Foundation
import Metrics
import PayFlowRedis

/// The runtime's distributions and gauges for `/metrics`, beside the entry
/// counters of ``ConsumerGroupCounters``: what an operator needs to tell a
/// slow handler (handling time) from a backlog (lag) from a stuck replica
/// (pending), and what the benchmark reads for XADD-to-ack latency.
///
/// Names (Prometheus): `payflow_batch_size` and
/// `payflow_batch_handle_duration_seconds` (histograms, per group),
/// `payflow_entry_latency_seconds` (histogram, per group and stream: from the
/// entry's XADD time, its id, to its ack), `payflow_group_lag`,
/// `payflow_group_pending` and `payflow_group_oldest_pending_age_seconds`
/// (gauges, per group and stream, sampled by the claim loop). The XADD-to-ack latency also goes to
/// ``EntryLatencyHistograms``, for a p99 and max finer than the buckets.
struct ConsumerGroupMetrics: Sendable {
    let group: String
    private let batchSize: Recorder
    private let handleDuration: Metrics.Timer

    /// Bucket bounds, registered with the Prometheus factory by
    /// `OperationsServer.bootstrapMetrics()`.
    static let batchSizeBuckets: [Double] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000]
    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    init(group: String) {
        self.group = group
        self.batchSize = Recorder(label: "payflow_batch_size", dimensions: [("group", group)], aggregate: true)
        self.handleDuration = Metrics.Timer(label: "payflow_batch_handle_duration_seconds", dimensions: [("group", group)])
    }

    func recordBatch(size: Int, handledIn duration: Duration) {
        self.batchSize.record(size)
        self.handleDuration.recordNanoseconds(duration.wholeNanoseconds)
    }

    /// XADD-to-ack time of entries just acked, from the millisecond in their
    /// ids. One timer and one histogram update per stream of the batch; what
    /// is done per entry is the subtraction and the recording itself.
    func recordAcked(_ keys: [StreamEntry.Key], at now: Date = Date()) {
        guard !keys.isEmpty else { return }
        let nowMilliseconds = Int64(now.timeIntervalSince1970 * 1000)
        for run in keys.streamRuns() {
            let timer = Metrics.Timer(label: "payflow_entry_latency_seconds", dimensions: [("group", self.group), ("stream", run.stream)])
            let latencies = run.ids.map { UInt64(max(0, nowMilliseconds - Int64(clamping: $0.milliseconds))) }
            for latency in latencies {
                timer.recordMilliseconds(latency)
            }
            EntryLatencyHistograms.process.record(group: self.group, stream: run.stream, milliseconds: latencies)
        }
    }

    /// `oldestPending`: the id of the oldest entry delivered and not acked, nil
    /// when none is; its age (from the millisecond in the id, so from its
    /// XADD) is 0 then, so an alert on the age clears once the entry settles.
    func recordBacklog(stream: String, lag: Int?, pending: Int, oldestPending: StreamEntryID?, at now: Date = Date()) {
        let dimensions = [("group", self.group), ("stream", stream)]
        Gauge(label: "payflow_group_pending", dimensions: dimensions).record(pending)
        if let lag {
            Gauge(label: "payflow_group_lag", dimensions: dimensions).record(lag)
        }
        let ageMilliseconds = oldestPending.map { max(0, Int64(now.timeIntervalSince1970 * 1000) - Int64(clamping: $0.milliseconds)) } ?? 0
        Gauge(label: "payflow_group_oldest_pending_age_seconds", dimensions: dimensions).record(Double(ageMilliseconds) / 1000)
    }
}

extension Duration {
    var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
