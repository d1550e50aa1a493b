#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The limits every free-text field of an event keeps, in one place.
///
/// Why here: a value a store cannot keep (a NUL byte, which PostgreSQL text
/// refuses; a 9,000-character account, too long for a btree index entry) used
/// to decode, reach every group's store and fail there, batch after batch.
/// The stream decoder applies these limits, so every service refuses such an
/// entry the same way, dead-lettered at once with a reason, and
/// `POST /v1/events` refuses it with the same reason; the generator API's
/// `openapi.json` declares the same `maxLength` and patterns.
///
/// Lengths count Unicode scalars, the unit of JSON Schema's `maxLength`.
public enum EventTextLimits {
    /// Accounts, merchants and devices are identifiers (`acc-000042`,
    /// `m-0017`, `d-9a1f`): 64 leaves room for any real scheme and stays far
    /// below what an index entry holds.
    public static let maxIdentifierLength = 64
    /// An account event's reason is a short human sentence.
    public static let maxReasonLength = 256
    /// The longest textual IPv6 address (`ffff:...:255.255.255.255`).
    public static let maxIPLength = 45

    /// Refuses an empty value, a value longer than `maxLength` and any
    /// control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F).
    ///
    /// Walks the UTF-8 bytes, since every group checks several fields of
    /// every event: a scalar starts at each byte that is not a continuation
    /// byte, and Cc is exactly the bytes below 0x20, 0x7F, and 0xC2 followed by
    /// 0x80–0x9F (U+0080–U+009F), a set Unicode's stability policy keeps. Only
    /// a refused value is walked again by scalar, to name the character.
    static func checkText(_ value: String, field: String, maxLength: Int) throws(EventDecodingError) {
        var length = 0
        var previous: UInt8 = 0
        for byte in value.utf8 {
            if byte & 0xC0 != 0x80 { length += 1 }
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && byte <= 0x9F && byte >= 0x80) {
                try Self.refuseControlCharacter(in: value, field: field)
            }
            previous = byte
        }
        guard length <= maxLength else {
            throw EventDecodingError(field: field, problem: .invalidValue("is \(length) characters long, at most \(maxLength) allowed"))
        }
    }

    /// Throws for the first control character of `value`, by its code point.
    private static func refuseControlCharacter(in value: String, field: String) throws(EventDecodingError) {
        for scalar in value.unicodeScalars where scalar.properties.generalCategory == .control {
            let code = "U+" + String(scalar.value, radix: 16, uppercase: true).leftPadded(to: 4)
            throw EventDecodingError(field: field, problem: .invalidValue("contains the control character \(code)"))
        }
    }

    /// An IPv4 address in dotted decimal or an IPv6 address, as `inet_pton`
    /// reads them (a pure function: no lookup, no blocking).
    static func checkIPAddress(_ value: String, field: String) throws(EventDecodingError) {
        try Self.checkText(value, field: field, maxLength: Self.maxIPLength)
        var address = (UInt64(0), UInt64(0))  // room for an IPv6 address, without an allocation
        let valid = value.withCString { text in
            withUnsafeMutableBytes(of: &address) { buffer in
                inet_pton(AF_INET, text, buffer.baseAddress) == 1 || inet_pton(AF_INET6, text, buffer.baseAddress) == 1
            }
        }
        guard valid else {
            throw EventDecodingError(field: field, problem: .invalidValue("'\(value)' is not an IPv4 or IPv6 address"))
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}
