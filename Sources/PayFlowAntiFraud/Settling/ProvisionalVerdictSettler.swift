import Logging
import PayFlowRedis
import PayFlowRuntime

/// Judges provisional verdicts again once no earlier event can still arrive,
/// and turns the ones that hold into alerts.
///
/// Safe on several replicas at once: re-judging changes no state, alerts are
/// idempotent per id, and removing a verdict twice is harmless. The order is
/// alerts first, then removal, so a crash in between re-judges (same result)
/// instead of losing an alert.
public struct ProvisionalVerdictSettler: Sendable {
    let state: AccountStateStore
    let verdicts: ProvisionalVerdictStore
    let alerts: FraudAlertStore
    let batchSize: Int

    public init(state: AccountStateStore, verdicts: ProvisionalVerdictStore, alerts: FraudAlertStore, batchSize: Int = 1_000) {
        self.state = state
        self.verdicts = verdicts
        self.alerts = alerts
        self.batchSize = batchSize
    }

    /// Settles every verdict the watermark covers; returns (settled, alerted).
    @discardableResult
    public func settle(through watermark: ConsumptionWatermark) async throws -> (settled: Int, alerted: Int) {
        let through: UInt64?
        switch watermark {
        case .caughtUp: through = nil
        case .processedThrough(let milliseconds): through = milliseconds
        case .unknown: return (0, 0)
        }
        var settled = 0
        var alerted = 0
        while true {
            let due = try await self.verdicts.due(throughMilliseconds: through, limit: self.batchSize)
            guard !due.isEmpty else { break }
            let confirmed = try await self.state.recheck(due)
            alerted += try await self.alerts.record(confirmed)
            try await self.verdicts.remove(due)
            settled += due.count
            if due.count < self.batchSize { break }
        }
        return (settled, alerted)
    }
}
