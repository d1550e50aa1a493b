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
///
/// Redis counted such a skipped claim as a delivery; it was not an attempt,
/// so ``skippedDeliveries(of:)`` lets whichever loop settles the entry, now
/// or after a retry, take it back out before comparing with
/// `MAX_DELIVERIES`. The count is kept until the entry is acked here
/// (``settled(_:)``); one settled by another replica leaves a stale count,
/// which the cap bounds.
///
/// What it cannot see: a batch the read loop has read but not yet begun. If
/// that loop's task is not scheduled for longer than `claimMinIdle`, the
/// claim loop may take, handle and ack the batch first, and the read loop
/// then handles it again: an at-least-once redelivery, which idempotent
/// handlers absorb. Closing it would cost an ownership check per batch.
///
/// Kept per stream (a set of ids per stream name), so a batch hashes its
/// stream's name once rather than once per entry.
final class InFlightEntries: Sendable {
    private struct State {
        var ids: [String: Set<StreamEntryID>] = [:]
        var skipped: [StreamEntry.Key: Int] = [:]
    }

    private let state = Mutex(State())
    private static let maxRemembered = 100_000

    /// Marks the entries not in flight yet as in flight and returns them;
    /// counts a skipped delivery for the others.
    func begin(_ entries: [StreamEntry]) -> [StreamEntry] {
        guard !entries.isEmpty else { return entries }
        return self.state.withLock { state in
            var taken: [StreamEntry]?  // made only when an entry is skipped
            Self.forEachStreamRun(of: entries) { stream, run in
                var ids = state.ids.removeValue(forKey: stream) ?? []
                ids.reserveCapacity(ids.count + run.count)
                for index in run {
                    let entry = entries[index]
                    if ids.insert(entry.id).inserted {
                        taken?.append(entry)
                        continue
                    }
                    if taken == nil { taken = Array(entries[..<index]) }
                    if state.skipped.count >= Self.maxRemembered { state.skipped.removeAll() }
                    state.skipped[entry.key, default: 0] += 1
                }
                state.ids[stream] = ids
            }
            return taken ?? entries
        }
    }

    /// Whether `key` is in flight here: between the ``begin(_:)`` that took
    /// it and the ``end(_:)`` of the same batch.
    func contains(_ key: StreamEntry.Key) -> Bool {
        self.state.withLock { $0.ids[key.stream]?.contains(key.id) ?? false }
    }

    /// Deliveries Redis counted for `key` while it was in flight here and
    /// that nobody handled.
    func skippedDeliveries(of key: StreamEntry.Key) -> Int {
        self.state.withLock { $0.skipped[key] ?? 0 }
    }

    /// Ends what ``begin(_:)`` returned.
    func end(_ entries: [StreamEntry]) {
        guard !entries.isEmpty else { return }
        self.state.withLock { state in
            Self.forEachStreamRun(of: entries) { stream, run in
                guard var ids = state.ids.removeValue(forKey: stream) else { return }
                for index in run { ids.remove(entries[index].id) }
                if !ids.isEmpty { state.ids[stream] = ids }
            }
        }
    }

    /// Forgets the skipped deliveries of entries acked or dead-lettered.
    func settled(_ keys: [StreamEntry.Key]) {
        self.state.withLock { state in
            guard !state.skipped.isEmpty else { return }
            for key in keys { state.skipped[key] = nil }
        }
    }

    /// Calls `body` once per run of consecutive entries of one stream, with
    /// the run's indices: a batch is hashed by stream name once per run, not
    /// once per entry (what ``begin(_:)`` and ``end(_:)`` both walk).
    private static func forEachStreamRun(of entries: [StreamEntry], _ body: (_ stream: String, _ run: Range<Int>) -> Void) {
        var start = 0
        while start < entries.count {
            let stream = entries[start].stream
            var end = start + 1
            while end < entries.count && entries[end].stream == stream { end += 1 }
            body(stream, start..<end)
            start = end
        }
    }
}
