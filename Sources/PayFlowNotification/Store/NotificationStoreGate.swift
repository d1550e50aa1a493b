/// One transaction at a time on the handler's connection.
///
/// The runtime's read loop and claim loop may call the handler at once, and
/// they share one PostgreSQL session; single statements are serialised by the
/// connection, but a `BEGIN ... COMMIT` block is not, so the in-process
/// channel's batches queue here (first come, first served) for their
/// transaction.
actor NotificationStoreGate {
    private var isBusy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Waits for the gate; every `acquire` is followed by one ``release()``.
    func acquire() async {
        guard self.isBusy else {
            self.isBusy = true
            return
        }
        await withCheckedContinuation { self.waiting.append($0) }
    }

    func release() {
        if self.waiting.isEmpty {
            self.isBusy = false
        } else {
            // The gate stays busy: it passes straight to the next in line.
            self.waiting.removeFirst().resume()
        }
    }
}
