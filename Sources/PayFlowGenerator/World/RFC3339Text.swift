import PayFlowDomain
import PayFlowPostgres

/// An ``EventTimestamp``'s RFC 3339 text (`2026-03-02T08:00:00.123456Z`, what
/// its `description` and `Codable` form are) written as bytes into a buffer.
///
/// Why a second spelling of the same text: `description` pads each part
/// through its own `String`, eight allocations per timestamp, and the
/// checkpoint writes several timestamps per account on every batch.
/// `CheckpointJSONTests` holds the two spellings equal.
enum RFC3339Text {
    static func append(_ timestamp: EventTimestamp, to bytes: inout [UInt8]) {
        let micros = timestamp.microsecondsSinceEpoch
        let seconds = Self.floorDivide(micros, 1_000_000)
        let fraction = micros - seconds * 1_000_000
        let days = Self.floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        Self.appendPadded(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendPadded(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendPadded(day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        Self.appendPadded(secondOfDay / 3600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendPadded(secondOfDay / 60 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        Self.appendPadded(secondOfDay % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        Self.appendPadded(fraction, width: 6, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// As `description` pads: zeros up to `width`, then `String(value)`
    /// (a negative year keeps its sign after the zeros, as there).
    private static func appendPadded(_ value: Int64, width: Int, to bytes: inout [UInt8]) {
        let length = DecimalText.length(value)
        for _ in 0..<max(0, width - length) {
            bytes.append(UInt8(ascii: "0"))
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        var rest = value.magnitude
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    /// Howard Hinnant's civil-from-days, as `EventTimestamp` computes it.
    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = Self.floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
