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
        self.init(digits: text.utf8)
    }

    /// The one parser of both spellings: the text above, and the bytes of a
    /// stream reply (``init(bytes:)``), which the read path parses without
    /// making a `String` first.
    private init?(digits: some Sequence<UInt8>) {
        var milliseconds: UInt64 = 0
        var sequence: UInt64 = 0
        var counts = (milliseconds: 0, sequence: 0)
        var inSequence = false
        for byte in digits {
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
                counts.sequence += 1
            } else {
                guard let next = Self.appending(digit, to: milliseconds) else { return nil }
                milliseconds = next
                counts.milliseconds += 1
            }
        }
        guard inSequence, counts.milliseconds > 0, counts.sequence > 0 else { return nil }
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
    /// Parses `<milliseconds>-<sequence>` from the bytes of a reply.
    init?(bytes: UnsafeBufferPointer<UInt8>) {
        self.init(digits: bytes)
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
