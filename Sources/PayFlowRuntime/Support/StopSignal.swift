import Synchronization

/// Set once when graceful shutdown begins; loops check it between batches so
/// that the batch in hand is finished and acked rather than abandoned.
final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)

    var isStopping: Bool { self.flag.load(ordering: .acquiring) }

    func stop() {
        self.flag.store(true, ordering: .releasing)
    }
}
