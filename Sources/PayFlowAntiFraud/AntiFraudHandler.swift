import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime

/// The `anti-fraud` consumer group's handler: evaluate the batch's events
/// against the shared account state in Redis, then record and publish the
/// alerts, and only then report the batch done (the runtime acks after).
///
/// Two rules' verdicts are provisional (``ProvisionalVerdict``): they are
/// stored, not alerted, and ``ProvisionalVerdictSettler`` decides them once
/// every earlier entry is processed, so replicas raise what one consumer would.
///
/// Every step is idempotent per event id, so a redelivered batch, a batch
/// claimed from a dead replica or one retried after an outage adds nothing.
/// A store that is down throws, and the runtime retries the whole batch; a
/// store that refuses an entry (an error reply from the Lua script, a
/// statement PostgreSQL refuses) throws too, and the runtime handles the
/// batch's halves apart until that entry is alone.
public struct AntiFraudHandler: ConsumerGroupHandler {
    public let state: AccountStateStore
    public let alerts: FraudAlertStore
    public let provisional: ProvisionalVerdictStore
    /// `evaluate` (the script pipeline), `alerts` (rows, verdicts and outbox).
    let stages: BatchStageTimers?

    public init(state: AccountStateStore, alerts: FraudAlertStore, provisional: ProvisionalVerdictStore, stages: BatchStageTimers? = nil) {
        self.state = state
        self.alerts = alerts
        self.provisional = provisional
        self.stages = stages
    }

    public func decode(_ entry: StreamEntry) throws -> PaymentEvent {
        try PaymentEvent(fields: entry.fields)
    }

    public func handle(_ batch: [Delivery<PaymentEvent>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        var start = ContinuousClock.now
        let evaluation = try await self.state.evaluate(batch.map(\.message), entries: batch.map(\.entry.id))
        self.stages?.record("evaluate", since: start)
        // The alerts, and the verdicts a late event could overturn (they wait,
        // durably, for the settler), in one statement: one commit per batch.
        start = ContinuousClock.now
        try await self.alerts.record(evaluation.alerts, provisional: evaluation.provisional)
        self.stages?.record("alerts", since: start)
        return batch.outcomes(.done)
    }
}
