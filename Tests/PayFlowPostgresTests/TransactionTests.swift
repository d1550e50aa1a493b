import PayFlowPostgres
import PayFlowTestSupport
import Testing

@Suite("Transactions")
struct TransactionTests {
    struct Boom: Error {}

    @Test("a transaction whose body throws rolls back, and the error reaches the caller")
    func throwingBodyRollsBack() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount bigint NOT NULL)")
            await #expect(throws: Boom.self) {
                try await connection.withTransaction { connection in
                    try await connection.query("INSERT INTO ledger VALUES ($1, $2)", [1, 500])
                    // Visible inside the transaction...
                    let inside = try await connection.query("SELECT count(*) FROM ledger").rows[0]
                    #expect(try inside.decode(0, as: Int.self) == 1)
                    throw Boom()
                }
            }
            // ...and gone after the rollback.
            let after = try await connection.query("SELECT count(*) FROM ledger").rows[0]
            #expect(try after.decode(0, as: Int.self) == 0)
        }
    }

    @Test("a committed transaction persists and is visible from another connection")
    func committedTransactionPersists() async throws {
        try await TestDatabase.withFresh { url, connection in
            try await connection.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount bigint NOT NULL)")
            let returned = try await connection.withTransaction { connection in
                try await connection.query("INSERT INTO ledger VALUES ($1, $2), ($3, $4)", [1, 500, 2, -200])
                return "done"
            }
            #expect(returned == "done")
            let other = try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
            let sum = try await other.query("SELECT sum(amount)::bigint FROM ledger").rows[0]
            await other.close()
            #expect(try sum.decode(0, as: Int64.self) == 300)
        }
    }

    @Test("a failed statement whose error the body swallowed makes the commit throw")
    func swallowedFailureDoesNotCommit() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute("CREATE TABLE ledger (id int PRIMARY KEY)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { connection in
                    try await connection.query("INSERT INTO ledger VALUES ($1)", [1])
                    _ = try? await connection.query("INSERT INTO ledger VALUES ($1)", [1])  // duplicate key
                }
            }
            #expect(error?.sqlState == "25P02")
            let count = try await connection.query("SELECT count(*) FROM ledger").rows[0]
            #expect(try count.decode(0, as: Int.self) == 0)
        }
    }

    @Test("nested transactions are refused instead of silently flattened")
    func nestingIsRefused() async throws {
        try await TestDatabase.withFresh { _, connection in
            await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { connection in
                    try await connection.withTransaction { _ in }
                }
            }
            // The outer transaction was rolled back; the connection is usable again.
            let row = try await connection.query("SELECT 1").rows[0]
            #expect(try row.decode(0, as: Int.self) == 1)
        }
    }
}
