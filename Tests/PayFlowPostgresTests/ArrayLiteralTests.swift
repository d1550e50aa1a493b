import Foundation
import PayFlowPostgres
import PayFlowTestSupport
import Testing

/// Every batch statement passes its columns as array literals and `unnest`s
/// them; a literal spelled wrong shifts or corrupts a batch's rows, so these
/// go through a real PostgreSQL, not a comparison of strings.
@Suite("Array literals round-trip through unnest")
struct ArrayLiteralTests {
    static let awkward = TestValues.trickyStrings + [
        "{braces}", "a,comma", "NULL", "null", "\"", "\\", "\\\"", " ", "{\"a\":[1,\"b\\\\\"]}",
    ]

    @Test("text elements come back in order, byte for byte")
    func textElements() async throws {
        try await TestDatabase.withFresh { _, connection in
            let rows = try await connection.query(
                "SELECT value FROM unnest($1::text[]) WITH ORDINALITY AS t (value, n) ORDER BY n",
                [PostgresArrayLiteral.text(Self.awkward)]
            ).rows
            #expect(try rows.map { try $0.decode(0, as: String.self) } == Self.awkward)
        }
    }

    @Test("integers, bytes, hex and unquoted elements come back as written")
    func otherElements() async throws {
        try await TestDatabase.withFresh { _, connection in
            let integers: [Int64] = [0, -1, 7, 1_234_567_890_123, .max, .min]
            var bytes = PostgresArrayLiteral.Builder(capacity: 8)  // grows past its capacity
            var hex = PostgresArrayLiteral.Builder()
            var unquoted = PostgresArrayLiteral.Builder()
            for text in Self.awkward { bytes.append(utf8: Array(text.utf8)) }
            let digests: [[UInt8]] = [[], [0x00, 0xff], Array(0...31)]
            for digest in digests { hex.append(hex: digest) }
            for value in [UInt64(0), 42, .max] {
                unquoted.appendUnquoted { DecimalText.append(value, to: &$0); $0.append(UInt8(ascii: "-")); DecimalText.append(value / 3, to: &$0) }
            }
            let row = try #require(try await connection.query(
                """
                SELECT (SELECT array_agg(v ORDER BY n) FROM unnest($1::bigint[]) WITH ORDINALITY AS t (v, n))::text AS integers,
                       (SELECT count(*) FROM unnest($2::text[]) AS t (v)) AS byte_count,
                       (SELECT string_agg(v, '|' ORDER BY n) FROM unnest($2::text[]) WITH ORDINALITY AS t (v, n)) AS joined,
                       (SELECT string_agg(encode(decode(v, 'hex'), 'hex'), '|' ORDER BY n) FROM unnest($3::text[]) WITH ORDINALITY AS t (v, n)) AS hex,
                       (SELECT string_agg(v, '|' ORDER BY n) FROM unnest($4::text[]) WITH ORDINALITY AS t (v, n)) AS unquoted
                """,
                [PostgresArrayLiteral.integers(integers), bytes.finished(), hex.finished(), unquoted.finished()]
            ).first)
            #expect(try row.decode("integers", as: String.self) == "{" + integers.map(String.init).joined(separator: ",") + "}")
            #expect(try row.decode("byte_count", as: Int.self) == Self.awkward.count)
            #expect(try row.decode("joined", as: String.self) == Self.awkward.joined(separator: "|"))
            #expect(try row.decode("hex", as: String.self) == digests.map { $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "|"))
            #expect(try row.decode("unquoted", as: String.self) == ["0-0", "42-14", "\(UInt64.max)-\(UInt64.max / 3)"].joined(separator: "|"))
        }
    }

    @Test("an empty sequence is an empty array")
    func empty() async throws {
        try await TestDatabase.withFresh { _, connection in
            let row = try #require(try await connection.query(
                "SELECT cardinality($1::text[]) AS texts, cardinality($2::bigint[]) AS integers",
                [PostgresArrayLiteral.text([]), PostgresArrayLiteral.integers([])]
            ).first)
            #expect(try row.decode("texts", as: Int.self) == 0)
            #expect(try row.decode("integers", as: Int.self) == 0)
        }
    }
}
