/// Decimal digits written straight into a byte buffer, as `String(value)`
/// would spell them: the audit writer spells several numbers per row (in the
/// hash content and in the statement's parameters), and a `String` each was
/// an allocation each.
enum DecimalText {
    /// How many bytes `String(value)` has.
    static func length(_ value: UInt64) -> Int {
        var length = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        return length
    }

    static func length(_ value: Int64) -> Int {
        self.length(value.magnitude) + (value < 0 ? 1 : 0)
    }

    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        let length = self.length(value)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: length))
        var rest = value
        var index = start + length - 1
        while rest > 0 {
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            index -= 1
        }
    }

    static func append(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        self.append(value.magnitude, to: &bytes)
    }
}
