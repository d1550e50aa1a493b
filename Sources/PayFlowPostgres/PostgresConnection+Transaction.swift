import CLibpq

extension PostgresConnection {
    /// Runs `body` inside `BEGIN` / `COMMIT`; any error thrown by `body` rolls back and is
    /// rethrown.
    ///
    /// `body` must use the connection it is given and nothing else may use this connection
    /// meanwhile: statements from another task would land inside the transaction. Nesting is
    /// an error rather than a silent flattening (an inner "rollback" that rolls back nothing
    /// would be a lie).
    ///
    /// If a statement failed but `body` swallowed the error, PostgreSQL answers COMMIT with a
    /// ROLLBACK; that is reported as an error here, so callers never believe aborted work was
    /// saved.
    public func withTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await self.onConnectionThread {
            guard !self.inTransaction else {
                throw PostgresError(
                    code: .queryFailed,
                    message: "withTransaction cannot be nested; a transaction is already open on this connection"
                )
            }
            _ = try self.execOnThread("BEGIN")
            self.inTransaction = true
        }
        let value: T
        do {
            value = try await body(self)
        } catch {
            await self.rollbackAfterFailure()
            throw error
        }
        try await self.onConnectionThread(cancellable: false) {
            defer {
                self.inTransaction = false
            }
            let result = try self.execOnThread("COMMIT")
            if result.commandTag == "ROLLBACK" {
                throw PostgresError(
                    code: .queryFailed,
                    message: "the transaction was aborted by an earlier failed statement and has been rolled back",
                    sqlState: "25P02"
                )
            }
        }
        return value
    }

    /// ROLLBACK after a failed body. Errors are logged, not thrown: the body's error is the one
    /// the caller needs, and a session that died has been rolled back by the server anyway.
    private func rollbackAfterFailure() async {
        do {
            try await self.onConnectionThread(cancellable: false) {
                defer {
                    self.inTransaction = false
                }
                // On a dead session there is nothing to roll back; the next call resets it.
                guard let handle = self.handle, PQstatus(handle) == CONNECTION_OK else {
                    return
                }
                _ = try self.execOnThread("ROLLBACK")
            }
        } catch {
            self.logger.warning("ROLLBACK failed", metadata: ["error": "\(error)"])
        }
    }
}
