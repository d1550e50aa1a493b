import PayFlowPostgres
import PayFlowTestSupport
import Testing

/// `queryPrepared`: one named statement per SQL text and session, the same
/// results as an unnamed statement, and prepared again after a reset (the new
/// session has none of the old one's statements).
@Suite("Prepared statements")
struct PreparedStatementTests {
    static let sql = "SELECT $1::bigint + $2::bigint AS total, $3::text AS label"

    @Test func aStatementIsPreparedOnceAndAnswersAsAnUnnamedOne() async throws {
        try await TestDatabase.withFresh { _, connection in
            for value in Int64(1)...7 {
                let prepared = try await connection.queryPrepared(Self.sql, [value, 10, nil]).rows[0]
                let unnamed = try await connection.query(Self.sql, [value, 10, nil]).rows[0]
                #expect(try prepared.decode("total", as: Int64.self) == value + 10)
                #expect(try prepared.decode("total", as: Int64.self) == unnamed.decode("total", as: Int64.self))
                #expect(try prepared.decode("label", as: String?.self) == nil)
            }
            #expect(try await Self.statements(on: connection) == 1, "seven calls, one statement")
            // A failing call reports the server's error and keeps the statement usable.
            await #expect(throws: PostgresError.self) {
                try await connection.queryPrepared("SELECT 1 / $1::integer", [0])
            }
            #expect(try await connection.queryPrepared("SELECT 1 / $1::integer", [1]).rows[0].decode(0, as: Int.self) == 1)
        }
    }

    @Test func aResetSessionPreparesItsStatementsAgain() async throws {
        try await TestDatabase.withFresh { url, connection in
            let killer = try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
            #expect(try await connection.queryPrepared(Self.sql, [1, 2, "a"]).rows[0].decode("total", as: Int64.self) == 3)
            try await ReconnectTests.terminate(connection, from: killer)
            let error = await #expect(throws: PostgresError.self) {
                try await connection.queryPrepared(Self.sql, [1, 2, "a"])
            }
            #expect(error?.isRetriable == true)
            // The reset session has no statement of that name: the call prepares it again.
            #expect(try await connection.queryPrepared(Self.sql, [3, 4, "b"]).rows[0].decode("total", as: Int64.self) == 7)
            #expect(try await Self.statements(on: connection) == 1)
            await killer.close()
        }
    }

    private static func statements(on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT count(*) FROM pg_prepared_statements").rows[0].decode(0, as: Int.self)
    }
}
