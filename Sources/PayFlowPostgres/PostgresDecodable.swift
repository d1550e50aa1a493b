import Foundation

/// A Swift type that can be read from a result column in PostgreSQL's text output format.
///
/// The initializer returns nil for text it does not understand; ``PostgresRow`` turns that
/// into a ``PostgresError`` naming the column, the type and the value, so decoders stay
/// one-liners. NULL never reaches a decoder: the row handles it (an error for a non-optional
/// request, `nil` for an optional one).
public protocol PostgresDecodable {
    init?(postgresText text: String)
}

extension String: PostgresDecodable {
    public init?(postgresText text: String) {
        self = text
    }
}

extension Int: PostgresDecodable {
    public init?(postgresText text: String) {
        self.init(text)
    }
}

extension Int32: PostgresDecodable {
    public init?(postgresText text: String) {
        self.init(text)
    }
}

extension Int64: PostgresDecodable {
    public init?(postgresText text: String) {
        self.init(text)
    }
}

extension Bool: PostgresDecodable {
    /// PostgreSQL prints booleans as `t` / `f`; the long forms are accepted for text columns.
    public init?(postgresText text: String) {
        switch text {
        case "t", "true":
            self = true
        case "f", "false":
            self = false
        default:
            return nil
        }
    }
}

extension Double: PostgresDecodable {
    public init?(postgresText text: String) {
        switch text {
        case "NaN":
            self = .nan
        case "Infinity":
            self = .infinity
        case "-Infinity":
            self = -.infinity
        default:
            self.init(text)
        }
    }
}

extension UUID: PostgresDecodable {
    public init?(postgresText text: String) {
        self.init(uuidString: text)
    }
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz` (the session runs with `DateStyle=ISO`), `timestamp` as UTC and
    /// `date` as midnight UTC.
    public init?(postgresText text: String) {
        guard let date = PostgresTimestamp.parse(text) else {
            return nil
        }
        self = date
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// `bytea` in hex output form (`\x0a1b...`), the server default.
    public init?(postgresText text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8.count % 2 == 0, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x")
        else {
            return nil
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = Self.hexValue(utf8[index]), let low = Self.hexValue(utf8[index + 1]) else {
                return nil
            }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"):
            return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"):
            return digit - UInt8(ascii: "A") + 10
        default:
            return nil
        }
    }
}
