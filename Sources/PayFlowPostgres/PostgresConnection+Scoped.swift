import Logging

extension PostgresConnection {
    /// Connects, runs `body`, and closes the connection whether `body`
    /// returned or threw (Swift has no `await` in `defer`): the shape of every
    /// one-shot tool (`payflow migrate`, the reports, `payflow audit`).
    public static func withConnection<T: Sendable>(
        url: String,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(url: url, logger: logger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(connection))
        } catch {
            result = .failure(error)
        }
        await connection.close()
        return try result.get()
    }
}
