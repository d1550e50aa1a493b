import PayFlowRedis
import PayFlowRuntime
import Synchronization

/// A handler whose behaviour each test scripts, and which records every entry
/// it was given, so tests can count deliveries exactly.
final class ScriptedHandler: ConsumerGroupHandler {
    struct Message: Sendable {
        var eventID: String
    }

    struct DecodeFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Decides the outcome of one entry on its `attempt`-th delivery (1-based);
    /// throwing fails the whole batch, as a database outage would.
    typealias Behaviour = @Sendable (_ eventID: String, _ attempt: Int) throws -> EntryOutcome

    private let behaviour: Behaviour
    private let beforeBatch: @Sendable () async -> Void
    private let state = Mutex<(attempts: [String: Int], order: [String], batches: Int)>(([:], [], 0))

    init(
        behaviour: @escaping Behaviour = { _, _ in .done },
        beforeBatch: @escaping @Sendable () async -> Void = {}
    ) {
        self.behaviour = behaviour
        self.beforeBatch = beforeBatch
    }

    func decode(_ entry: StreamEntry) throws -> Message {
        if let problem = entry[field: "malformed"] {
            throw DecodeFailure(description: problem)
        }
        guard let id = entry[field: "id"] else {
            throw DecodeFailure(description: "missing field 'id'")
        }
        return Message(eventID: id)
    }

    func handle(_ batch: [Delivery<Message>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        await self.beforeBatch()
        var outcomes: [StreamEntry.Key: EntryOutcome] = [:]
        for delivery in batch {
            let attempt = self.state.withLock { state in
                state.attempts[delivery.message.eventID, default: 0] += 1
                state.order.append(delivery.message.eventID)
                return state.attempts[delivery.message.eventID]!
            }
            outcomes[delivery.key] = try self.behaviour(delivery.message.eventID, attempt)
        }
        self.state.withLock { $0.batches += 1 }
        return outcomes
    }

    func attempts(_ eventID: String) -> Int {
        self.state.withLock { $0.attempts[eventID, default: 0] }
    }

    /// Event ids in the order the handler saw them, repeats included.
    var order: [String] {
        self.state.withLock { $0.order }
    }

    var distinctHandled: Int {
        self.state.withLock { $0.attempts.count }
    }

    var completedBatches: Int {
        self.state.withLock { $0.batches }
    }
}
