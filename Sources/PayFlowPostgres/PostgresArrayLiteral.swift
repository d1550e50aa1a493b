/// PostgreSQL array literals (`{"a","b"}`) for passing a whole batch as one
/// bound parameter (`$1::text[]`), so a batch is one statement with a fixed
/// number of parameters whatever its size, and `unnest` turns it back into rows.
///
/// Every literal is written into one byte buffer by a ``Builder``, byte by
/// byte: the batch statements of every service and the generator's world
/// checkpoint spell tens of thousands of elements a second, and walking each
/// value by `Character` (grapheme breaking) into a `String` per element was
/// the largest single cost of the generator's checkpoint (issue 13).
public enum PostgresArrayLiteral {
    /// Every element double-quoted, with `"` and `\` escaped: safe for any text.
    public static func text(_ values: [String]) -> String {
        var literal = Builder(capacity: values.count * 16)
        for value in values { literal.append(text: value) }
        return literal.finished()
    }

    /// Integers need no quoting.
    public static func integers(_ values: [Int64]) -> String {
        var literal = Builder(capacity: values.count * 8)
        for value in values { literal.append(integer: value) }
        return literal.finished()
    }

    /// Builds one array literal element by element.
    public struct Builder: Sendable {
        private var bytes: [UInt8]
        private var isEmpty = true

        /// `capacity`: the bytes the literal is expected to take, so the
        /// buffer grows once rather than by doubling.
        public init(capacity: Int = 1024) {
            self.bytes = []
            self.bytes.reserveCapacity(capacity + 2)
            self.bytes.append(UInt8(ascii: "{"))
        }

        /// A quoted text element.
        public mutating func append(text: String) {
            var text = text
            text.withUTF8 { self.appendQuoted($0) }
        }

        /// A quoted text element from its UTF-8 bytes.
        public mutating func append(utf8: [UInt8]) {
            utf8.withUnsafeBufferPointer { self.appendQuoted($0) }
        }

        /// An unquoted number.
        public mutating func append(integer: Int64) {
            self.beginElement()
            DecimalText.append(integer, to: &self.bytes)
        }

        /// Bytes as lowercase hex digits (no quoting needed), for `decode(x, 'hex')`.
        public mutating func append(hex: [UInt8]) {
            self.appendUnquoted { bytes in
                let digits: StaticString = "0123456789abcdef"
                for byte in hex {
                    bytes.append(digits.utf8Start[Int(byte >> 4)])
                    bytes.append(digits.utf8Start[Int(byte & 0x0f)])
                }
            }
        }

        /// An element the caller spells itself, unquoted: only for text made
        /// of digits, letters, `-`, `.` and `:` (numbers, ids, timestamps),
        /// which an array literal takes as it is. `write` appends its bytes;
        /// if it appends none, the element is the empty string (`""`), since
        /// an empty unquoted element is a malformed literal.
        public mutating func appendUnquoted(_ write: (inout [UInt8]) -> Void) {
            self.beginElement()
            let start = self.bytes.count
            write(&self.bytes)
            if self.bytes.count == start {
                self.bytes.append(UInt8(ascii: "\""))
                self.bytes.append(UInt8(ascii: "\""))
            }
        }

        public consuming func finished() -> String {
            self.bytes.append(UInt8(ascii: "}"))
            return String(decoding: self.bytes, as: UTF8.self)
        }

        private mutating func beginElement() {
            if self.isEmpty {
                self.isEmpty = false
            } else {
                self.bytes.append(UInt8(ascii: ","))
            }
        }

        /// Copies `element` between quotes, a backslash before each `"` and `\`,
        /// in runs: the concrete signatures above keep this specialised when
        /// called from another module, where a generic one ran byte by byte
        /// through protocol witnesses.
        private mutating func appendQuoted(_ element: UnsafeBufferPointer<UInt8>) {
            let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
            self.beginElement()
            self.bytes.append(quote)
            var runStart = 0
            for index in element.indices where element[index] == quote || element[index] == backslash {
                self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: element[runStart..<index]))
                self.bytes.append(backslash)
                runStart = index  // the escaped byte starts the next run
            }
            self.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: element[runStart...]))
            self.bytes.append(quote)
        }
    }
}
