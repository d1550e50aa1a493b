/// A Redis stream entry id, `<milliseconds>-<sequence>`.
///
/// Kept as numbers rather than text because ids are compared (to page through
/// pending entries) and their time part measures how long an entry waited.
public struct StreamEntryID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var milliseconds: UInt64
    public var sequence: UInt64

    public init(milliseconds: UInt64, sequence: UInt64) {
        self.milliseconds = milliseconds
        self.sequence = sequence
    }

    /// Parses `<milliseconds>-<sequence>`, both decimal, digit by digit:
    /// every `XADD` reply and every entry read is one, and splitting the
    /// text into substrings first was most of the producer's CPU.
    public init?(_ text: String) {
        var milliseconds: UInt64 = 0
        var sequence: UInt64 = 0
        var digits = (milliseconds: 0, sequence: 0)
        var inSequence = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "-") {
                guard !inSequence else { return nil }
                inSequence = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = UInt64(byte - UInt8(ascii: "0"))
            if inSequence {
                guard let next = Self.appending(digit, to: sequence) else { return nil }
                sequence = next
                digits.sequence += 1
            } else {
                guard let next = Self.appending(digit, to: milliseconds) else { return nil }
                milliseconds = next
                digits.milliseconds += 1
            }
        }
        guard inSequence, digits.milliseconds > 0, digits.sequence > 0 else { return nil }
        self.init(milliseconds: milliseconds, sequence: sequence)
    }

    /// `value * 10 + digit`, or nil past `UInt64.max`.
    private static func appending(_ digit: UInt64, to value: UInt64) -> UInt64? {
        let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
        let (plus, overflowPlus) = times.addingReportingOverflow(digit)
        return overflowTimes || overflowPlus ? nil : plus
    }

    /// `0-0`: the id before every entry.
    public static let zero = StreamEntryID(milliseconds: 0, sequence: 0)

    public var description: String { "\(self.milliseconds)-\(self.sequence)" }

    public static func < (lhs: StreamEntryID, rhs: StreamEntryID) -> Bool {
        (lhs.milliseconds, lhs.sequence) < (rhs.milliseconds, rhs.sequence)
    }
}

extension StreamEntryID: RedisArgument {
    public var redisBytes: [UInt8] { self.asciiBytes }
}

extension StreamEntryID {
    /// Parses `<milliseconds>-<sequence>` from the bytes of a reply, without
    /// making a `String` first: the read path parses one id per entry.
    init?(bytes: UnsafeBufferPointer<UInt8>) {
        var parts: (UInt64, UInt64) = (0, 0)
        var digits = (0, 0)
        var inSequence = false
        for byte in bytes {
            if byte == UInt8(ascii: "-") {
                guard !inSequence else { return nil }
                inSequence = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = UInt64(byte - UInt8(ascii: "0"))
            var value = inSequence ? parts.1 : parts.0
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (plus, overflowPlus) = times.addingReportingOverflow(digit)
            guard !overflowTimes, !overflowPlus else { return nil }
            value = plus
            if inSequence {
                parts.1 = value
                digits.1 += 1
            } else {
                parts.0 = value
                digits.0 += 1
            }
        }
        guard inSequence, digits.0 > 0, digits.1 > 0 else { return nil }
        self.init(milliseconds: parts.0, sequence: parts.1)
    }

    /// The id as command-argument bytes, written digit by digit: an `XACK`
    /// carries one per entry.
    var asciiBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(41)
        Self.appendDigits(of: self.milliseconds, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        Self.appendDigits(of: self.sequence, to: &bytes)
        return bytes
    }

    private static func appendDigits(of value: UInt64, to bytes: inout [UInt8]) {
        let start = bytes.count
        var rest = value
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }
}
