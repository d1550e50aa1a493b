import Foundation

/// A UTC instant with microsecond precision, written as RFC 3339 with exactly
/// six fractional digits (`2026-11-25T14:03:07.123456Z`).
///
/// Stored as whole microseconds rather than `Date` (a Double) so that writing
/// and reading an event gives back the same value, bit for bit, which the
/// determinism of the generator and the reconciliation of amounts rely on.
public struct EventTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    public init(_ date: Date) {
        self.microsecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public static func now() -> EventTimestamp { EventTimestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: Double(self.microsecondsSinceEpoch) / 1_000_000) }

    public static func < (lhs: EventTimestamp, rhs: EventTimestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    public func adding(microseconds: Int64) -> EventTimestamp {
        EventTimestamp(microsecondsSinceEpoch: self.microsecondsSinceEpoch + microseconds)
    }

    // MARK: - RFC 3339

    /// Written digit by digit into the string's own 27 bytes: every event's
    /// fields, ledger row and notification carry it, and a `String` per
    /// component was some twenty allocations per call.
    public var description: String {
        let text = String(unsafeUninitializedCapacity: 27) { self.writeRFC3339(into: $0) }
        return text.isEmpty ? self.paddedDescription() : text
    }

    /// The same text as `description`, appended to a byte buffer: for writers
    /// that build one buffer of many values (the generator's checkpoint JSON
    /// spells several timestamps per account on every batch) and so need no
    /// `String` per timestamp.
    public func appendRFC3339(to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: 27))
        let written = bytes.withUnsafeMutableBufferPointer { buffer in
            self.writeRFC3339(into: UnsafeMutableBufferPointer(rebasing: buffer[start...]))
        }
        if written == 0 {
            bytes.removeLast(27)
            bytes.append(contentsOf: self.paddedDescription().utf8)
        }
    }

    /// The calendar parts the text is made of.
    private var parts: (year: Int64, month: Int64, day: Int64, secondOfDay: Int64, micros: Int64) {
        let seconds = self.microsecondsSinceEpoch.floorDivided(by: 1_000_000)
        let micros = self.microsecondsSinceEpoch - seconds * 1_000_000
        let days = seconds.floorDivided(by: 86_400)
        let (year, month, day) = Self.civil(fromDays: days)
        return (year, month, day, seconds - days * 86_400, micros)
    }

    /// Writes the 27 bytes of the text into `text` and returns 27, for a year
    /// in 0–9999; writes nothing and returns 0 for any other year.
    private func writeRFC3339(into text: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let (year, month, day, secondOfDay, micros) = self.parts
        guard (0...9999).contains(year) else { return 0 }
        func put(_ value: Int64, width: Int, at offset: Int) {
            var rest = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
        }
        put(year, width: 4, at: 0)
        text[4] = UInt8(ascii: "-")
        put(month, width: 2, at: 5)
        text[7] = UInt8(ascii: "-")
        put(day, width: 2, at: 8)
        text[10] = UInt8(ascii: "T")
        put(secondOfDay / 3600, width: 2, at: 11)
        text[13] = UInt8(ascii: ":")
        put(secondOfDay / 60 % 60, width: 2, at: 14)
        text[16] = UInt8(ascii: ":")
        put(secondOfDay % 60, width: 2, at: 17)
        text[19] = UInt8(ascii: ".")
        put(micros, width: 6, at: 20)
        text[26] = UInt8(ascii: "Z")
        return 27
    }

    /// Years outside 0–9999, which no event has but a timestamp can hold.
    private func paddedDescription() -> String {
        let (year, month, day, secondOfDay, micros) = self.parts
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (UTC only, up to six fractional digits).
    public init?(rfc3339 text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"),
              bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let digit = Int64(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var micros: Int64 = 0
        if bytes.count > 20 {
            let fraction = 20..<(bytes.count - 1)
            guard bytes[19] == UInt8(ascii: "."), (1...6).contains(fraction.count), let value = number(fraction) else { return nil }
            micros = value * Int64(pow(10, Double(6 - fraction.count)))
        } else {
            guard bytes[19] == UInt8(ascii: "Z") else { return nil }
        }
        let days = Self.days(fromCivil: year, month, day)
        self.microsecondsSinceEpoch = ((days * 86_400) + hour * 3600 + minute * 60 + second) * 1_000_000 + micros
    }

    // Howard Hinnant's days-from-civil algorithms: exact for the proleptic Gregorian calendar.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension EventTimestamp: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let timestamp = EventTimestamp(rfc3339: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an RFC 3339 UTC time"))
        }
        self = timestamp
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }
}
