import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime

/// The `anti-fraud` consumer group's handler: evaluate the batch's events
/// against the shared account state in Redis, then record and publish the
/// alerts, and only then report the batch done (the runtime acks after).
///
/// Both steps are idempotent per event id, so a redelivered batch, a batch
/// claimed from a dead replica or one retried after an outage adds nothing.
/// A store that is down throws, and the runtime retries the whole batch.
public struct AntiFraudHandler: ConsumerGroupHandler {
    public let state: AccountStateStore
    public let alerts: FraudAlertStore

    public init(state: AccountStateStore, alerts: FraudAlertStore) {
        self.state = state
        self.alerts = alerts
    }

    public func decode(_ entry: StreamEntry) throws -> PaymentEvent {
        try PaymentEvent(fields: entry.fields)
    }

    public func handle(_ batch: [Delivery<PaymentEvent>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        let raised = try await self.state.evaluate(batch.map(\.message))
        try await self.alerts.record(raised)
        return batch.outcomes(.done)
    }
}
