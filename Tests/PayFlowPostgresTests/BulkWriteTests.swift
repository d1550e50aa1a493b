import Foundation
import PayFlowPostgres
import PayFlowTestSupport
import Testing

@Suite("Bulk writes: COPY and multi-row INSERT")
struct BulkWriteTests {
    @Test("COPY stores 100,000 rows with their values")
    func copyHundredThousandRows() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute(
                """
                CREATE TABLE audit (
                    id bigint PRIMARY KEY, payment_id uuid NOT NULL, note text, amount_cents bigint,
                    recorded_at timestamptz NOT NULL
                )
                """
            )
            let base = Date(timeIntervalSince1970: 1_700_000_000)
            let paymentIDs = (0..<10).map { _ in UUID() }
            let rows = (0..<100_000).lazy.map { (i: Int) -> [(any PostgresEncodable)?] in
                [
                    i, paymentIDs[i % 10], i % 7 == 0 ? nil : "row \(i)\twith tab\\",
                    i * 3, base.addingTimeInterval(Double(i) / 1000),
                ]
            }
            let stored = try await connection.copyIn(
                table: "audit",
                columns: ["id", "payment_id", "note", "amount_cents", "recorded_at"],
                rows: rows
            )
            #expect(stored == 100_000)
            let count = try await connection.query("SELECT count(*) FROM audit").rows[0]
            #expect(try count.decode(0, as: Int.self) == 100_000)

            for i in [0, 7, 12_345, 99_999] {
                let row = try #require(try await connection.query("SELECT * FROM audit WHERE id = $1", [i]).first)
                #expect(try row.decode("payment_id", as: UUID.self) == paymentIDs[i % 10])
                #expect(try row.decode("note", as: String?.self) == (i % 7 == 0 ? nil : "row \(i)\twith tab\\"))
                #expect(try row.decode("amount_cents", as: Int.self) == i * 3)
                // Compared to the microsecond: that is what PostgreSQL stores.
                let recordedAt = try row.decode("recorded_at", as: Date.self)
                #expect(abs(recordedAt.timeIntervalSince(base.addingTimeInterval(Double(i) / 1000))) < 0.000_001)
            }
            let nulls = try await connection.query("SELECT count(*) FROM audit WHERE note IS NULL").rows[0]
            #expect(try nulls.decode(0, as: Int.self) == (0..<100_000).filter { $0 % 7 == 0 }.count)
        }
    }

    @Test("a COPY with a bad row stores nothing and leaves the connection usable")
    func failedCopyStoresNothing() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute("CREATE TABLE audit (id int PRIMARY KEY, note text)")
            // Client-side failure: a row with the wrong number of values, after good rows.
            let shortRow: [[(any PostgresEncodable)?]] = [[1, "a"], [2, "b"], [3]]
            let clientError = await #expect(throws: PostgresError.self) {
                try await connection.copyIn(table: "audit", columns: ["id", "note"], rows: shortRow)
            }
            #expect(clientError?.code == .copyFailed)
            // Server-side failure: a duplicate key.
            let duplicate: [[(any PostgresEncodable)?]] = [[1, "a"], [1, "b"]]
            let serverError = await #expect(throws: PostgresError.self) {
                try await connection.copyIn(table: "audit", columns: ["id", "note"], rows: duplicate)
            }
            #expect(serverError?.sqlState == "23505")
            #expect(serverError?.isRetriable == false)
            let count = try await connection.query("SELECT count(*) FROM audit").rows[0]
            #expect(try count.decode(0, as: Int.self) == 0)
        }
    }

    @Test("COPY quotes table and column names")
    func copyQuotesIdentifiers() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute(#"CREATE TABLE "Odd ""Table""" ("select" int, "Mixed Case" text)"#)
            let stored = try await connection.copyIn(
                table: #"Odd "Table""#,
                columns: ["select", "Mixed Case"],
                rows: [[1, "x"]]
            )
            #expect(stored == 1)
        }
    }

    @Test("multi-row INSERT chunks under the parameter limit and honours ON CONFLICT")
    func insertRowsWithOnConflict() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute(
                "CREATE TABLE seen (consumer_group text, event_id text, PRIMARY KEY (consumer_group, event_id))"
            )
            // 40,000 rows x 2 columns = 80,000 parameters: more than one statement.
            let rows: [[(any PostgresEncodable)?]] = (0..<40_000).map { ["ledger", "evt-\($0)"] }
            let inserted = try await connection.insertRows(
                into: "seen",
                columns: ["consumer_group", "event_id"],
                rows: rows,
                onConflict: "ON CONFLICT (consumer_group, event_id) DO NOTHING"
            )
            #expect(inserted == 40_000)
            // Re-delivery of some of the same events plus new ones: only the new ones count.
            let again: [[(any PostgresEncodable)?]] = (39_990..<40_010).map { ["ledger", "evt-\($0)"] }
            let second = try await connection.insertRows(
                into: "seen",
                columns: ["consumer_group", "event_id"],
                rows: again,
                onConflict: "ON CONFLICT (consumer_group, event_id) DO NOTHING"
            )
            #expect(second == 10)
            let count = try await connection.query("SELECT count(*) FROM seen").rows[0]
            #expect(try count.decode(0, as: Int.self) == 40_010)
        }
    }

    @Test("multi-row INSERT ... RETURNING returns the rows of every chunk, and only the new ones")
    func insertRowsReturningTheNewRows() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute("CREATE TABLE alerts (alert_id text PRIMARY KEY, rule text NOT NULL)")
            // 40,000 rows x 2 columns: more than one statement, whose returned rows add up.
            let rows: [[(any PostgresEncodable)?]] = (0..<40_000).map { ["a-\($0)", $0 % 2 == 0 ? "even" : "odd"] }
            let first = try await connection.insertRows(
                into: "alerts", columns: ["alert_id", "rule"], rows: rows,
                onConflict: "ON CONFLICT (alert_id) DO NOTHING", returning: "rule"
            )
            #expect(first.count == 40_000)
            let again: [[(any PostgresEncodable)?]] = (39_998..<40_001).map { ["a-\($0)", "late"] }
            let second = try await connection.insertRows(
                into: "alerts", columns: ["alert_id", "rule"], rows: again,
                onConflict: "ON CONFLICT (alert_id) DO NOTHING", returning: "rule"
            )
            #expect(try second.map { try $0.decode("rule", as: String.self) } == ["late"])
        }
    }
}
