import Metrics

/// Where a batch's wall time goes, stage by stage:
/// `payflow_batch_stage_duration_seconds{group,stage}`.
///
/// Why: a group that lags while using little CPU is waiting on something (a
/// commit's WAL flush, a Redis pipeline, the next read), and the handle time
/// alone does not say which. The runtime records `read` (the `XREADGROUP`
/// round trip, `BLOCK` included), `decode`, `handle` and `ack`; a handler adds
/// its own stages (anti-fraud: `evaluate`, `alerts_insert`, `outbox_xadd`, ...)
/// under the same group. Sum ÷ count of a stage is its mean per batch.
///
/// The timers are made once, so a batch costs one histogram update per stage.
public struct BatchStageTimers: Sendable {
    public static let metric = "payflow_batch_stage_duration_seconds"
    static let buckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    public let group: String
    private let timers: [String: Metrics.Timer]

    public init(group: String, stages: [String]) {
        self.group = group
        self.timers = Dictionary(uniqueKeysWithValues: stages.map { stage in
            (stage, Metrics.Timer(label: Self.metric, dimensions: [("group", group), ("stage", stage)]))
        })
    }

    /// Records the time from `start` until now under `stage`.
    public func record(_ stage: String, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let timer = self.timers[stage] ?? Metrics.Timer(label: Self.metric, dimensions: [("group", self.group), ("stage", stage)])
        timer.recordNanoseconds(elapsed.wholeNanoseconds)
    }
}
