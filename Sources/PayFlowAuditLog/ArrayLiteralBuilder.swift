import PayFlowRedis

/// A PostgreSQL array literal (`{"a","b"}`, `{1,2}`) built element by element
/// in one byte buffer, for the audit writer's `unnest` parameters.
///
/// `PostgresArrayLiteral.text` takes finished `String`s and walks them by
/// `Character`; the writer has bytes (JSON, hex digests, decimal numbers) and
/// a batch of them per statement, so it writes them here once, escaping only
/// `"` and `\`, with no intermediate `String` per row.
struct ArrayLiteralBuilder {
    private var bytes: [UInt8]
    private var isEmpty = true

    init(capacity: Int = 1024) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
        self.bytes.append(UInt8(ascii: "{"))
    }

    /// A quoted text element.
    mutating func append(text: String) {
        self.beginElement()
        self.bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            self.appendEscaped(byte)
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// A quoted text element from UTF-8 bytes.
    mutating func append(utf8: [UInt8]) {
        self.beginElement()
        self.bytes.append(UInt8(ascii: "\""))
        for byte in utf8 {
            self.appendEscaped(byte)
        }
        self.bytes.append(UInt8(ascii: "\""))
    }

    /// An unquoted number.
    mutating func append(integer: Int64) {
        self.beginElement()
        DecimalText.append(integer, to: &self.bytes)
    }

    /// An entry id's text, `<milliseconds>-<sequence>` (no quoting needed).
    mutating func append(entryID: StreamEntryID) {
        self.beginElement()
        DecimalText.append(entryID.milliseconds, to: &self.bytes)
        self.bytes.append(UInt8(ascii: "-"))
        DecimalText.append(entryID.sequence, to: &self.bytes)
    }

    /// Bytes as lowercase hex digits (no quoting needed), for `decode(x, 'hex')`.
    mutating func append(hex: [UInt8]) {
        self.beginElement()
        let digits: StaticString = "0123456789abcdef"
        for byte in hex {
            self.bytes.append(digits.utf8Start[Int(byte >> 4)])
            self.bytes.append(digits.utf8Start[Int(byte & 0x0f)])
        }
    }

    func finished() -> String {
        String(decoding: self.bytes + [UInt8(ascii: "}")], as: UTF8.self)
    }

    private mutating func beginElement() {
        if self.isEmpty {
            self.isEmpty = false
        } else {
            self.bytes.append(UInt8(ascii: ","))
        }
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            self.bytes.append(UInt8(ascii: "\\"))
        }
        self.bytes.append(byte)
    }
}
