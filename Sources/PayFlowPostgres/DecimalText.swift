/// Decimal digits written straight into a byte buffer, spelled as
/// `String(value)` spells them.
///
/// Why: the batch statements spell thousands of numbers per call into array
/// literals (``PostgresArrayLiteral/Builder``), and the audit writer spells
/// more into its hash content; a `String` each was an allocation each.
public enum DecimalText {
    /// How many bytes `String(value)` has.
    public static func length(_ value: UInt64) -> Int {
        var length = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            length += 1
        }
        return length
    }

    public static func length(_ value: Int64) -> Int {
        self.length(value.magnitude) + (value < 0 ? 1 : 0)
    }

    public static func append(_ value: UInt64, to bytes: inout [UInt8]) {
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

    public static func append(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        self.append(value.magnitude, to: &bytes)
    }
}
