import PayFlowPostgres
import PayFlowTestSupport
import Testing

@Suite("Broken connections heal")
struct ReconnectTests {
    /// Kills `victim`'s server process from `killer`, as a PostgreSQL restart or an
    /// administrator would.
    static func terminate(_ victim: PostgresConnection, from killer: PostgresConnection) async throws {
        let pid = try await victim.query("SELECT pg_backend_pid()").rows[0].decode(0, as: Int32.self)
        let terminated = try await killer.query("SELECT pg_terminate_backend($1, 5000)", [pid]).rows[0]
        #expect(try terminated.decode(0, as: Bool.self))
    }

    @Test("the call that meets a dead session throws a retriable error; the next one reconnects")
    func reconnectsAfterTermination() async throws {
        try await TestDatabase.withFresh { url, connection in
            let killer = try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
            let before = try await connection.query("SELECT pg_backend_pid()").rows[0].decode(0, as: Int32.self)
            try await Self.terminate(connection, from: killer)

            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT 1")
            }
            #expect(error?.isRetriable == true)
            #expect(error?.code == .connectionLost)

            let after = try await connection.query("SELECT pg_backend_pid()").rows[0].decode(0, as: Int32.self)
            #expect(after != before)
            // Session settings came back with the new session.
            let timeZone = try await connection.query("SHOW TimeZone").rows[0].decode(0, as: String.self)
            #expect(timeZone == "UTC")
            await killer.close()
        }
    }

    @Test("a session lost inside a transaction is not silently continued in autocommit")
    func lossInsideTransaction() async throws {
        try await TestDatabase.withFresh { url, connection in
            try await connection.execute("CREATE TABLE t (id int)")
            let killer = try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
            let error = await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { connection in
                    try await connection.query("INSERT INTO t VALUES ($1)", [1])
                    try await Self.terminate(connection, from: killer)
                    // The body ignores the failure and carries on; it must not write outside the
                    // transaction on a fresh session.
                    _ = try? await connection.query("INSERT INTO t VALUES ($1)", [2])
                    try await connection.query("INSERT INTO t VALUES ($1)", [3])
                }
            }
            #expect(error?.isRetriable == true)
            await killer.close()
            let count = try await connection.query("SELECT count(*) FROM t").rows[0].decode(0, as: Int.self)
            #expect(count == 0)
        }
    }
}
