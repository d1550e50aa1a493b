import PayFlowRedis
import Synchronization

/// The entries this consumer is handling right now, shared by its read loop
/// and its claim loop.
///
/// Why: `XAUTOCLAIM` hands over every entry idle longer than `claimMinIdle`,
/// this consumer's own included, and an entry whose batch is still in the
/// handler's hands looks idle to Redis. A batch that takes longer than that
/// (a slow store, or a batch being split around an entry the store refuses)
/// was then handled a second time by the claim loop of the same process,
/// and an entry dead-lettered by both loops landed twice in the dead-letter
/// stream. Each loop now takes only the entries the other is not handling;
/// the one handling them settles them.
final class InFlightEntries: Sendable {
    private let keys = Mutex<Set<StreamEntry.Key>>([])

    /// Marks the entries not in flight yet as in flight and returns them.
    func begin(_ entries: [StreamEntry]) -> [StreamEntry] {
        self.keys.withLock { keys in entries.filter { keys.insert($0.key).inserted } }
    }

    /// Ends what ``begin(_:)`` returned.
    func end(_ entries: [StreamEntry]) {
        self.keys.withLock { keys in
            for entry in entries { keys.remove(entry.key) }
        }
    }
}
