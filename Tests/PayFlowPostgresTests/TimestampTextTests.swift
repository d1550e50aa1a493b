import Foundation
import Testing

@testable import PayFlowPostgres

@Suite("Timestamp text format")
struct TimestampTextTests {
    @Test("dates format as RFC 3339 UTC with microseconds")
    func formats() {
        #expect(Date(timeIntervalSince1970: 0).postgresText == "1970-01-01T00:00:00.000000Z")
        #expect(Date(timeIntervalSince1970: 1_714_566_896.123456).postgresText == "2024-05-01T12:34:56.123456Z")
        #expect(Date(timeIntervalSince1970: -0.5).postgresText == "1969-12-31T23:59:59.500000Z")
        #expect(Date(timeIntervalSince1970: 951_782_400).postgresText == "2000-02-29T00:00:00.000000Z")
    }

    @Test("PostgreSQL's output forms parse to the right instant")
    func parses() {
        let instant = Date(timeIntervalSince1970: 1_714_566_896.123456)
        #expect(Date(postgresText: "2024-05-01 12:34:56.123456+00") == instant)
        #expect(Date(postgresText: "2024-05-01 14:34:56.123456+02") == instant)
        #expect(Date(postgresText: "2024-05-01 07:04:56.123456-05:30") == instant)
        #expect(Date(postgresText: "2024-05-01T12:34:56.123456Z") == instant)
        #expect(Date(postgresText: "2024-05-01 12:34:56.1+00") == Date(timeIntervalSince1970: 1_714_566_896.1))
        #expect(Date(postgresText: "2024-05-01 12:34:56") == Date(timeIntervalSince1970: 1_714_566_896))
        #expect(Date(postgresText: "2024-05-01") == Date(timeIntervalSince1970: 1_714_521_600))
    }

    @Test("non-timestamps are refused", arguments: ["", "infinity", "2024-13-01", "2024-05-01 12:34", "0044-03-15 12:00:00+00 BC", "yesterday"])
    func refuses(text: String) {
        #expect(Date(postgresText: text) == nil)
    }
}
