import PayFlowRedis

/// What a service writes to become a consumer group: how to decode an entry
/// and how to handle a batch. The runtime owns everything else (reading,
/// claiming, acking, retrying, dead-lettering).
///
/// Contract, because entries are delivered at least once:
/// - every effect must be idempotent, keyed by the event id, so a second
///   delivery of the same entry changes nothing;
/// - `handle` returns only after the effects of the entries it calls `.done`
///   are durable; the runtime acks them right after;
/// - a problem with one entry is reported as that entry's outcome; throwing
///   means "the whole batch could not be handled now" (the database is down)
///   and makes the runtime retry the same batch with backoff, without
///   spending the entries' delivery attempts. The one exception is an error
///   that says retrying cannot help (``HandlerFailure/isOutage(_:)``: a
///   statement PostgreSQL refused, an error reply from Redis): then the
///   runtime calls `handle` again with each half of the batch, and so on,
///   until the entry the store refuses is alone; it alone is `.retry`,
///   spending an attempt, and reaches the dead-letter stream after
///   `MAX_DELIVERIES`, while its neighbours are settled normally. Handlers
///   therefore just throw; they need not catch their store's errors, but a
///   call that throws a refusal should have had no external effect yet
///   (the halves are handled again).
///
/// Concurrency: the runtime's read loop and claim loop each call `handle`,
/// and may do so at the same time, with disjoint batches. A handler's state
/// and connections must therefore be safe to use from two calls at once: an
/// actor, a connection whose calls are single statements (each serialised by
/// the connection), or a lock. Two replicas of a service run the same
/// handler in two processes, so anything shared across them lives in a store
/// and is keyed by the event id.
public protocol ConsumerGroupHandler: Sendable {
    associatedtype Message: Sendable

    /// Turns raw fields into the service's message. A thrown error sends the
    /// entry to the dead-letter stream at once, with the error as its reason:
    /// retrying cannot fix an entry that does not parse.
    func decode(_ entry: StreamEntry) throws -> Message

    /// Handles a batch; entries missing from the result count as `.retry`.
    func handle(_ batch: [Delivery<Message>]) async throws -> [StreamEntry.Key: EntryOutcome]
}

/// A decoded entry, with the raw entry it came from.
public struct Delivery<Message: Sendable>: Sendable {
    public var entry: StreamEntry
    public var message: Message

    public init(entry: StreamEntry, message: Message) {
        self.entry = entry
        self.message = message
    }

    public var key: StreamEntry.Key { self.entry.key }
}

/// What became of one entry.
public enum EntryOutcome: Sendable, Equatable {
    /// Its effects are durable: ack it.
    case done
    /// It failed this time: leave it pending so it is delivered again, and
    /// dead-letter it once it has been delivered `MAX_DELIVERIES` times.
    case retry(reason: String)
    /// It can never succeed: dead-letter it now.
    case deadLetter(reason: String)
}

extension Array {
    /// Convenience for handlers that succeed or fail a whole batch together.
    public func outcomes<Message>(_ outcome: EntryOutcome) -> [StreamEntry.Key: EntryOutcome] where Element == Delivery<Message> {
        Dictionary(self.map { ($0.key, outcome) }, uniquingKeysWith: { first, _ in first })
    }
}
