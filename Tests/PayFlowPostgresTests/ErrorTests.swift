import Foundation
import PayFlowPostgres
import PayFlowTestSupport
import Testing

@Suite("Errors: bad URLs, SQL failures, NULL and decoding")
struct ErrorTests {
    @Test(
        "a malformed DATABASE_URL is a badURL error, without the password",
        arguments: [
            "",
            "   ",
            "not a url",
            "postgress://user:s3cret@localhost/db",
            "postgres://user:s3cret@localhost:notaport/db",
            "postgres://user:s3cret@localhost/db?bogus_option=1",
        ]
    )
    func malformedURL(url: String) async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
        }
        #expect(error?.code == .badURL)
        #expect(error?.message.contains("DATABASE_URL") == true)
        #expect(error?.description.contains("s3cret") == false)
    }

    @Test("an unreachable server is connectionFailed, not a crash")
    func unreachableServer() async throws {
        let error = await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(
                url: "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=2",
                logger: TestValues.quietLogger
            )
        }
        #expect(error?.code == .connectionFailed)
    }

    @Test("SQL errors carry the SQLSTATE and the server message, and are not retriable")
    func sqlErrors() async throws {
        try await TestDatabase.withFresh { _, connection in
            let syntax = await #expect(throws: PostgresError.self) {
                try await connection.query("SELEC 1")
            }
            #expect(syntax?.code == .queryFailed)
            #expect(syntax?.sqlState == "42601")
            #expect(syntax?.message.contains("syntax error") == true)
            #expect(syntax?.isRetriable == false)

            try await connection.execute("CREATE TABLE t (id int PRIMARY KEY)")
            try await connection.query("INSERT INTO t VALUES ($1)", [1])
            let duplicate = await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO t VALUES ($1)", [1])
            }
            #expect(duplicate?.sqlState == "23505")
            #expect(duplicate?.message.contains("duplicate key") == true)

            let badValue = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT $1::int", ["twelve"])
            }
            #expect(badValue?.sqlState == "22P02")
            // The connection is fine afterwards.
            #expect(try await connection.query("SELECT 1").rows[0].decode(0, as: Int.self) == 1)
        }
    }

    @Test("NULL into a non-optional and unparsable text are decoding errors naming the column")
    func decodingErrors() async throws {
        try await TestDatabase.withFresh { _, connection in
            let row = try #require(try await connection.query("SELECT NULL::int AS maybe, 'abc'::text AS word, 42 AS answer").first)

            let null = #expect(throws: PostgresError.self) { try row.decode("maybe", as: Int.self) }
            #expect(null?.code == .decoding)
            #expect(null?.message.contains("\"maybe\"") == true)
            #expect(null?.message.contains("NULL") == true)
            #expect(try row.decode("maybe", as: Int?.self) == nil)

            let bad = #expect(throws: PostgresError.self) { try row.decode("word", as: Int.self) }
            #expect(bad?.code == .decoding)
            #expect(bad?.message.contains("\"abc\"") == true)
            // Optional does not hide a bad value.
            #expect(throws: PostgresError.self) { try row.decode("word", as: Int?.self) }
            #expect(throws: PostgresError.self) { try row.decode("word", as: UUID.self) }
            #expect(throws: PostgresError.self) { try row.decode("word", as: Date.self) }
            #expect(throws: PostgresError.self) { try row.decode("word", as: Bool.self) }

            let missing = #expect(throws: PostgresError.self) { try row.decode("no_such_column", as: Int.self) }
            #expect(missing?.code == .decoding)
            #expect(throws: PostgresError.self) { try row.decode(7, as: Int.self) }

            #expect(try row.decode(2, as: Int.self) == 42)
            let answer: Int? = try row.decode("answer")
            #expect(answer == 42)
        }
    }

    @Test("a NUL byte in a parameter is an encoding error, not a silently cut string")
    func nulInParameter() async throws {
        try await TestDatabase.withFresh { _, connection in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT $1::text", ["before\u{0}after"])
            }
            #expect(error?.code == .encoding)
            let copyError = await #expect(throws: PostgresError.self) {
                try await connection.execute("CREATE TABLE t (v text)")
                try await connection.copyIn(table: "t", columns: ["v"], rows: [["a\u{0}b"]])
            }
            #expect(copyError?.code == .encoding)
            let count = try await connection.query("SELECT count(*) FROM t").rows[0].decode(0, as: Int.self)
            #expect(count == 0)
        }
    }

    @Test("a closed connection throws connectionClosed; closing twice is harmless")
    func closedConnection() async throws {
        let url = try await TestServers.databaseURL()
        let connection = try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
        await connection.close()
        await connection.close()
        let error = await #expect(throws: PostgresError.self) {
            try await connection.query("SELECT 1")
        }
        #expect(error?.code == .connectionClosed)
    }
}
