import Foundation

/// A Swift value that can be sent to PostgreSQL as a query parameter or a COPY field.
///
/// Everything travels in PostgreSQL's *text* format: the server parses the text with the
/// input function of the column's type, exactly as if a literal had been written, but without
/// any of the quoting hazards of string-built SQL. Text format keeps this layer tiny (no
/// binary layouts per type) and is what COPY's text mode needs anyway.
///
/// A `nil` parameter (`(any PostgresEncodable)?`) becomes SQL NULL; types never encode NULL
/// themselves.
public protocol PostgresEncodable {
    /// The value in PostgreSQL's text input syntax.
    var postgresText: String { get }
}

extension String: PostgresEncodable {
    public var postgresText: String {
        self
    }
}

extension Substring: PostgresEncodable {
    public var postgresText: String {
        String(self)
    }
}

extension Int: PostgresEncodable {
    public var postgresText: String {
        String(self)
    }
}

extension Int32: PostgresEncodable {
    public var postgresText: String {
        String(self)
    }
}

extension Int64: PostgresEncodable {
    public var postgresText: String {
        String(self)
    }
}

extension Bool: PostgresEncodable {
    public var postgresText: String {
        self ? "true" : "false"
    }
}

extension Double: PostgresEncodable {
    /// Swift's shortest round-tripping form, except for the special values, whose spelling
    /// differs between Swift (`inf`, `nan`) and PostgreSQL (`Infinity`, `NaN`).
    public var postgresText: String {
        if self.isNaN {
            return "NaN"
        }
        if self.isInfinite {
            return self < 0 ? "-Infinity" : "Infinity"
        }
        return String(self)
    }
}

extension UUID: PostgresEncodable {
    public var postgresText: String {
        self.uuidString.lowercased()
    }
}

extension Date: PostgresEncodable {
    /// RFC 3339 in UTC with microseconds, e.g. `2024-05-01T12:34:56.123456Z`: unambiguous for
    /// `timestamptz` whatever the session's TimeZone, and as precise as PostgreSQL stores.
    public var postgresText: String {
        PostgresTimestamp.format(self)
    }
}

extension Array: PostgresEncodable where Element == UInt8 {
    /// `bytea` in hex form (`\x0a1b...`), the default since PostgreSQL 9.0.
    public var postgresText: String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        text.reserveCapacity(2 + self.count * 2)
        for byte in self {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
