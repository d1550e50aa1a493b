import Foundation
import PayFlowPostgres
import PayFlowTestSupport
import Testing

@Suite("Parameters and values round-trip")
struct ParameterRoundTripTests {
    @Test("tricky strings come back byte for byte from a parameterized query")
    func trickyStringsThroughParameters() async throws {
        try await TestDatabase.withFresh { _, connection in
            for text in TestValues.trickyStrings {
                let echoed = try await connection.query("SELECT $1::text AS value", [text])
                #expect(try echoed.rows.first?.decode("value", as: String.self) == text)
            }
            try await connection.execute("CREATE TABLE items (id int PRIMARY KEY, value text)")
            for (id, text) in TestValues.trickyStrings.enumerated() {
                let inserted = try await connection.query("INSERT INTO items (id, value) VALUES ($1, $2)", [id, text])
                #expect(inserted.affectedRows == 1)
            }
            let rows = try await connection.query("SELECT value FROM items ORDER BY id").rows
            #expect(try rows.map { try $0.decode(0, as: String.self) } == TestValues.trickyStrings)
            // The server saw the exact characters too, not just an echo of our bytes.
            let lengths = try await connection.query("SELECT length(value) FROM items ORDER BY id").rows
            #expect(try lengths.map { try $0.decode(0, as: Int.self) } == TestValues.trickyStrings.map(\.unicodeScalars.count))
        }
    }

    @Test("tricky strings come back byte for byte through COPY")
    func trickyStringsThroughCopy() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute("CREATE TABLE items (id int PRIMARY KEY, value text, note text)")
            let rows: [[(any PostgresEncodable)?]] = TestValues.trickyStrings.enumerated().map { id, text in
                [id, text, nil]
            }
            let stored = try await connection.copyIn(table: "items", columns: ["id", "value", "note"], rows: rows)
            #expect(stored == TestValues.trickyStrings.count)
            let read = try await connection.query("SELECT value, note FROM items ORDER BY id").rows
            #expect(try read.map { try $0.decode("value", as: String.self) } == TestValues.trickyStrings)
            #expect(try read.allSatisfy { try $0.isNull("note") })
        }
    }

    @Test("typed values round-trip through parameters and through COPY")
    func typedValues() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute(
                """
                CREATE TABLE typed (
                    id int PRIMARY KEY, big bigint, small int, flag boolean, ratio double precision,
                    key uuid, at timestamptz, blob bytea, missing text
                )
                """
            )
            let uuid = UUID()
            let at = Date(timeIntervalSince1970: 1_714_566_896.123456)
            let beforeEpoch = Date(timeIntervalSince1970: -1_234_567.5)
            let blob: [UInt8] = [0, 1, 9, 10, 13, 92, 127, 128, 255]
            let row: [(any PostgresEncodable)?] = [
                1, Int64.max, Int32.min, true, 0.1 + 0.2, uuid, at, blob, nil,
            ]
            try await connection.query("INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", row)
            var copied = row
            copied[0] = 2
            copied[3] = false
            copied[6] = beforeEpoch
            try await connection.copyIn(
                table: "typed",
                columns: ["id", "big", "small", "flag", "ratio", "key", "at", "blob", "missing"],
                rows: [copied]
            )

            let rows = try await connection.query("SELECT * FROM typed ORDER BY id").rows
            #expect(rows.count == 2)
            for (index, row) in rows.enumerated() {
                #expect(try row.decode("big", as: Int64.self) == Int64.max)
                #expect(try row.decode("big", as: Int.self) == Int.max)
                #expect(try row.decode("small", as: Int32.self) == Int32.min)
                #expect(try row.decode("flag", as: Bool.self) == (index == 0))
                #expect(try row.decode("ratio", as: Double.self) == 0.1 + 0.2)
                #expect(try row.decode("key", as: UUID.self) == uuid)
                #expect(try row.decode("at", as: Date.self) == (index == 0 ? at : beforeEpoch))
                #expect(try row.decode("blob", as: [UInt8].self) == blob)
                #expect(try row.decode("missing", as: String?.self) == nil)
            }
            // The server read the timestamp as the same instant, not a local-time guess.
            let sameInstant = try await connection.query(
                "SELECT $1::timestamptz = '2024-05-01 12:34:56.123456+00'::timestamptz",
                [at]
            )
            #expect(try sameInstant.rows[0].decode(0, as: Bool.self))
        }
    }

    @Test("nil parameters are SQL NULL and decode as nil")
    func nilParameters() async throws {
        try await TestDatabase.withFresh { _, connection in
            let missing: String? = nil
            let result = try await connection.query("SELECT $1::text IS NULL AS a, $2::int IS NULL AS b, $2::int AS c", [missing, nil])
            let row = try #require(result.first)
            #expect(try row.decode("a", as: Bool.self))
            #expect(try row.decode("b", as: Bool.self))
            let c: Int? = try row.decode("c")
            #expect(c == nil)
        }
    }

    @Test("special doubles round-trip")
    func specialDoubles() async throws {
        try await TestDatabase.withFresh { _, connection in
            for value in [Double.infinity, -Double.infinity, 1e-300, -0.0, 123_456_789.125] {
                let row = try await connection.query("SELECT $1::double precision", [value]).rows[0]
                #expect(try row.decode(0, as: Double.self) == value)
            }
            let nan = try await connection.query("SELECT $1::double precision", [Double.nan]).rows[0]
            #expect(try nan.decode(0, as: Double.self).isNaN)
        }
    }
}
