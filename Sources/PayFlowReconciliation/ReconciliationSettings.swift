import PayFlowRuntime

/// The reconciliation tuning that is deployment, not code, with the defaults
/// `.env.example` documents.
public struct ReconciliationSettings: Sendable {
    /// How long an event may wait for its ledger row, and a ledger row for its
    /// event, before the difference is a mismatch. Longer than the generator's
    /// commit-then-XADD gap (consumer lag is handled by the watermark, see
    /// ``ConsumptionWatermark``); shorter than the
    /// delay an operator accepts before hearing about a real gap.
    public var grace: Duration = .milliseconds(30_000)
    /// How often the sweep re-checks waiting events, looks for ledger rows
    /// without events and publishes new mismatches. Also bounds the delay
    /// between a mismatch row and its entry on `payflow:mismatches`.
    public var sweepInterval: Duration = .milliseconds(1000)

    public init(grace: Duration = .milliseconds(30_000), sweepInterval: Duration = .milliseconds(1000)) {
        self.grace = grace
        self.sweepInterval = sweepInterval
    }

    /// Reads `RECONCILIATION_GRACE_MS` and `RECONCILIATION_SWEEP_INTERVAL_MS`.
    public init(environment: Environment) throws(ConfigurationError) {
        self.init()
        self.grace = try environment.milliseconds("RECONCILIATION_GRACE_MS", default: 30_000, in: 1...86_400_000)
        self.sweepInterval = try environment.milliseconds("RECONCILIATION_SWEEP_INTERVAL_MS", default: 1000, in: 10...3_600_000)
    }
}

extension Duration {
    /// Whole milliseconds, as bound SQL parameters carry them.
    var reconciliationMilliseconds: Int64 {
        let (seconds, attoseconds) = self.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
