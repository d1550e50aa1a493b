import Foundation
import Logging
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// The `notification` group's handler: one message per event (to the account
/// holder), per alert and per mismatch (to operations), delivered on one
/// channel and recorded in `notifications`, so a redelivered entry is not
/// notified twice once a delivery succeeded.
///
/// Per batch:
/// 1. render every entry; entries with the same notification id (the same
///    event XADDed twice) become one notification;
/// 2. one statement inserts the `pending` rows and returns the ids already
///    `delivered`, which are skipped;
/// 3. deliver the rest, at most `concurrency` at a time;
/// 4. one statement records every outcome; only then are entries `.done`.
///
/// A delivery that still fails after the channel's retries is `.retry`: the
/// runtime delivers the entry again after `CLAIM_MIN_IDLE_MS` and dead-letters
/// it after `MAX_DELIVERIES`. A permanent refusal is `.deadLetter` at once.
/// When PostgreSQL is down the handler throws and the runtime retries the batch
/// (a crash or an outage between a delivery and its record sends it again,
/// with the same id: at least once, receivers dedupe by `Idempotency-Key`).
///
/// Both statements are single statements: that is how it meets the
/// concurrency contract of ``ConsumerGroupHandler`` with one connection.
///
/// An in-process channel (the log) takes a shorter path: one transaction
/// inserts every row as `delivered` and writes the lines of those it
/// inserted, so each row is written once and a refused row is refused before
/// any line (``NotificationStore/deliverOnce(_:deliver:)``).
public struct NotificationHandler: ConsumerGroupHandler {
    public typealias Message = NotificationSource

    private let store: NotificationStore
    private let channel: any NotificationChannel
    private let templates: NotificationTemplates
    private let concurrency: Int
    /// The streams the group reads; tests pass names of their own.
    private let eventsStream: String
    private let alertsStream: String
    private let mismatchesStream: String

    public init(
        database: PostgresConnection,
        channel: any NotificationChannel,
        templates: NotificationTemplates,
        concurrency: Int = 16,
        eventsStream: String = StreamNames.events,
        alertsStream: String = StreamNames.alerts,
        mismatchesStream: String = StreamNames.mismatches
    ) {
        self.store = NotificationStore(database: database)
        self.channel = channel
        self.templates = templates
        self.concurrency = max(1, concurrency)
        self.eventsStream = eventsStream
        self.alertsStream = alertsStream
        self.mismatchesStream = mismatchesStream
    }

    /// Strict decoding by stream: an entry that does not parse is dead-lettered
    /// at once by the runtime, with the decoder's message.
    public func decode(_ entry: StreamEntry) throws -> NotificationSource {
        let stream = StreamNames.unsharded(entry.stream)
        if stream == self.alertsStream {
            let alert = try AlertNotice(fields: entry.fields)
            // The row's event_id is a uuid: refuse here what the insert would refuse later.
            guard UUID(text: alert.eventID) != nil else {
                throw EventDecodingError(field: "event_id", problem: .invalidValue("'\(alert.eventID)' is not a UUID"))
            }
            return .alert(alert)
        }
        if stream == self.mismatchesStream {
            let mismatch = try MismatchNotice(fields: entry.fields)
            // The row's event_id (the transaction) is a uuid, as for alerts.
            guard UUID(text: mismatch.transactionID) != nil else {
                throw EventDecodingError(field: "transaction_id", problem: .invalidValue("'\(mismatch.transactionID)' is not a UUID"))
            }
            return .mismatch(mismatch)
        }
        if stream == self.eventsStream {
            return .event(try PaymentEvent(fields: entry.fields))
        }
        throw EventDecodingError(field: "stream", problem: .invalidValue("'\(entry.stream)' is not a stream the notification service reads"))
    }

    public func handle(_ batch: [Delivery<NotificationSource>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        var messages: [NotificationMessage] = []
        var keys: [UUID: [StreamEntry.Key]] = [:]
        for delivery in batch {
            let message = NotificationMessage(
                source: delivery.message,
                sourceStream: delivery.entry.stream,
                channel: self.channel.name,
                rendered: self.templates.render(delivery.message)
            )
            if keys[message.id] == nil { messages.append(message) }
            keys[message.id, default: []].append(delivery.key)
        }

        if let channel = self.channel as? any InProcessNotificationChannel {
            return try await self.handleInProcess(messages, keys: keys, channel: channel)
        }

        let alreadyDelivered = try await self.store.prepare(messages)
        let toSend = messages.filter { !alreadyDelivered.contains($0.id) }
        let results = await self.deliver(toSend)
        let outcomes = toSend.map { NotificationStore.Outcome(message: $0, result: results[$0.id] ?? DeliveryResult(status: .retryable(reason: "not delivered"), attempts: 0)) }
        try await self.store.record(outcomes)

        var entryOutcomes: [StreamEntry.Key: EntryOutcome] = [:]
        var tally = NotificationMetrics.Tally()
        for message in messages where alreadyDelivered.contains(message.id) {
            tally.add(message.kind, "skipped", count: keys[message.id]?.count ?? 0)
            for key in keys[message.id] ?? [] { entryOutcomes[key] = .done }
        }
        for outcome in outcomes {
            let entryOutcome: EntryOutcome
            let status: String
            switch outcome.result.status {
            case .delivered:
                (entryOutcome, status) = (.done, "delivered")
            case .retryable(let reason):
                (entryOutcome, status) = (.retry(reason: reason), "failed")
            case .permanent(let reason):
                (entryOutcome, status) = (.deadLetter(reason: reason), "rejected")
            }
            tally.add(outcome.message.kind, status)
            for key in keys[outcome.message.id] ?? [] { entryOutcomes[key] = entryOutcome }
        }
        tally.record(channel: self.channel.name)
        return entryOutcomes
    }

    /// The in-process channel's batch (the log): one transaction records every
    /// row as `delivered` and writes the lines of those not delivered before
    /// (``NotificationStore/deliverOnce(_:deliver:)``); the rest are skipped.
    private func handleInProcess(
        _ messages: [NotificationMessage],
        keys: [UUID: [StreamEntry.Key]],
        channel: any InProcessNotificationChannel
    ) async throws -> [StreamEntry.Key: EntryOutcome] {
        let delivered = try await self.store.deliverOnce(messages) { channel.deliverAll($0) }
        var entryOutcomes: [StreamEntry.Key: EntryOutcome] = [:]
        var tally = NotificationMetrics.Tally()
        for message in messages {
            let entries = keys[message.id] ?? []
            if delivered.contains(message.id) {
                tally.add(message.kind, "delivered")
            } else {
                tally.add(message.kind, "skipped", count: entries.count)
            }
            for key in entries { entryOutcomes[key] = .done }
        }
        tally.record(channel: self.channel.name)
        return entryOutcomes
    }

    /// Delivers `messages` with at most `concurrency` in flight: a batch is
    /// not as slow as its deliveries in a row, nor a flood on one receiver.
    private func deliver(_ messages: [NotificationMessage]) async -> [UUID: DeliveryResult] {
        let channel = self.channel
        return await withTaskGroup(of: (UUID, DeliveryResult).self) { group in
            var pending = messages.makeIterator()
            for _ in 0..<self.concurrency {
                guard let message = pending.next() else { break }
                group.addTask { (message.id, await channel.deliver(message)) }
            }
            var results: [UUID: DeliveryResult] = [:]
            while let (id, result) = await group.next() {
                results[id] = result
                if let message = pending.next() {
                    group.addTask { (message.id, await channel.deliver(message)) }
                }
            }
            return results
        }
    }
}
