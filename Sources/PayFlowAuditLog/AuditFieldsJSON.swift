/// The `fields` jsonb column's text, written byte by byte.
///
/// An object `{"name":"value",...}` in the entry's order, or an array of
/// `[name, value]` pairs when a name repeats (an object would keep only one
/// of them). jsonb normalises what it stores, so this text only has to be
/// valid JSON with the same names and values; `JSONEncoder` on a dictionary
/// did the same at several times the cost per row (the audit-log's biggest
/// item in `perf`).
enum AuditFieldsJSON {
    static func append(_ fields: [AuditRecord.Field], repeatedName: Bool, to bytes: inout [UInt8]) {
        if repeatedName {
            bytes.append(UInt8(ascii: "["))
            for (index, field) in fields.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(UInt8(ascii: "["))
                self.appendString(field.name, to: &bytes)
                bytes.append(UInt8(ascii: ","))
                self.appendString(field.value, to: &bytes)
                bytes.append(UInt8(ascii: "]"))
            }
            bytes.append(UInt8(ascii: "]"))
        } else {
            bytes.append(UInt8(ascii: "{"))
            for (index, field) in fields.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                self.appendString(field.name, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                self.appendString(field.value, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    static func append(_ fields: [AuditRecord.Field], to bytes: inout [UInt8]) {
        self.append(fields, repeatedName: AuditRecord.hasRepeatedName(fields), to: &bytes)
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`,
    /// everything else (UTF-8 included) as it is.
    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(byte)
            case 0..<0x20:
                let digits: StaticString = "0123456789abcdef"
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(digits.utf8Start[Int(byte >> 4)])
                bytes.append(digits.utf8Start[Int(byte & 0x0f)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
