import Foundation

/// Conversion between `Date` and PostgreSQL's ISO text form of `timestamptz`.
///
/// Written by hand instead of with `ISO8601DateFormatter` because that formatter stops at
/// milliseconds, while PostgreSQL keeps microseconds: an audit timestamp that went in must
/// come back out equal. The calendar arithmetic is Howard Hinnant's days-from-civil
/// algorithm (proleptic Gregorian, as PostgreSQL uses), so no locale or time zone
/// database is involved.
enum PostgresTimestamp {
    private static let microsecondsPerDay: Int64 = 86_400_000_000

    /// `2024-05-01T12:34:56.123456Z`: RFC 3339, UTC, always six fractional digits.
    static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var days = micros / self.microsecondsPerDay
        var microsOfDay = micros % self.microsecondsPerDay
        if microsOfDay < 0 {
            days -= 1
            microsOfDay += self.microsecondsPerDay
        }
        let (year, month, day) = self.civil(fromDays: days)
        let seconds = microsOfDay / 1_000_000
        return self.pad(year, 4) + "-" + self.pad(month, 2) + "-" + self.pad(day, 2)
            + "T" + self.pad(seconds / 3600, 2) + ":" + self.pad(seconds / 60 % 60, 2)
            + ":" + self.pad(seconds % 60, 2) + "." + self.pad(microsOfDay % 1_000_000, 6) + "Z"
    }

    /// Parses what PostgreSQL prints for `timestamptz` (`2024-05-01 12:34:56.123456+00`),
    /// `timestamp` (no offset: read as UTC) and `date` (midnight UTC), with `T`/`Z` accepted too.
    /// Returns nil for anything else, including `infinity` and BC dates, which `Date` callers
    /// would not expect.
    static func parse(_ text: String) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.take(UInt8(ascii: "-")),
            let month = scanner.digits(2), scanner.take(UInt8(ascii: "-")),
            let day = scanner.digits(2),
            (1...12).contains(month), (1...31).contains(day)
        else {
            return nil
        }
        var micros = self.days(fromYear: year, month: month, day: day) * self.microsecondsPerDay
        if scanner.isAtEnd {
            return self.date(micros)
        }
        guard scanner.take(UInt8(ascii: " ")) || scanner.take(UInt8(ascii: "T")),
            let hour = scanner.digits(2), scanner.take(UInt8(ascii: ":")),
            let minute = scanner.digits(2), scanner.take(UInt8(ascii: ":")),
            let second = scanner.digits(2),
            hour <= 24, minute <= 59, second <= 60
        else {
            return nil
        }
        micros += (hour * 3600 + minute * 60 + second) * 1_000_000
        if scanner.take(UInt8(ascii: ".")) {
            var fraction: Int64 = 0
            var digitCount = 0
            while let digit = scanner.digit() {
                // PostgreSQL never prints more than six digits; ignore any beyond that.
                if digitCount < 6 {
                    fraction = fraction * 10 + digit
                }
                digitCount += 1
            }
            guard digitCount > 0 else {
                return nil
            }
            for _ in digitCount..<6 {
                fraction *= 10
            }
            micros += fraction
        }
        if scanner.isAtEnd || scanner.take(UInt8(ascii: "Z")) {
            return scanner.isAtEnd ? self.date(micros) : nil
        }
        let sign: Int64
        if scanner.take(UInt8(ascii: "+")) {
            sign = 1
        } else if scanner.take(UInt8(ascii: "-")) {
            sign = -1
        } else {
            return nil
        }
        guard let offsetHours = scanner.digits(2) else {
            return nil
        }
        var offsetSeconds = offsetHours * 3600
        if scanner.take(UInt8(ascii: ":")) {
            guard let offsetMinutes = scanner.digits(2) else {
                return nil
            }
            offsetSeconds += offsetMinutes * 60
            if scanner.take(UInt8(ascii: ":")) {
                guard let extraSeconds = scanner.digits(2) else {
                    return nil
                }
                offsetSeconds += extraSeconds
            }
        }
        guard scanner.isAtEnd else {
            return nil
        }
        return self.date(micros - sign * offsetSeconds * 1_000_000)
    }

    // MARK: - Calendar arithmetic

    private static func date(_ micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    private static func days(fromYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// A cursor over ASCII bytes; just enough to read fixed-width numbers and separators.
    private struct Scanner {
        private let bytes: [UInt8]
        private var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        var isAtEnd: Bool {
            self.index == self.bytes.count
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard self.index < self.bytes.count, self.bytes[self.index] == byte else {
                return false
            }
            self.index += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard self.index < self.bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self.bytes[self.index])
            else {
                return nil
            }
            defer { self.index += 1 }
            return Int64(self.bytes[self.index] - UInt8(ascii: "0"))
        }

        mutating func digits(_ count: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<count {
                guard let digit = self.digit() else {
                    return nil
                }
                value = value * 10 + digit
            }
            return value
        }
    }
}
