import Foundation
import OpenAPIRuntime
import PayFlowDomain

/// `format: date-time` as PayFlow writes and reads it.
///
/// The runtime's default transcoder accepts whole seconds only, while every
/// time PayFlow prints has six fractional digits; this one accepts RFC 3339
/// with or without a fraction and with `Z` or an offset, and writes
/// ``EventTimestamp``'s form (`2026-03-02T08:00:00.000000Z`), so a time read
/// from one response can be sent back as a parameter unchanged.
struct RFC3339DateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        EventTimestamp(date).description
    }

    func decode(_ text: String) throws -> Date {
        if let timestamp = EventTimestamp(rfc3339: text) {
            return timestamp.date
        }
        // Offsets other than Z, and fractions beyond what EventTimestamp reads.
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "'\(text)' is not an RFC 3339 time (e.g. 2026-03-02T08:00:00Z)"))
    }
}
