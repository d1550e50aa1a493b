import Foundation

/// Ids as text, both ways, on the hot path of every service: each writes
/// several ids per event and reads at least one.
extension UUID {
    /// The id as PayFlow writes it everywhere: in stream entries, PostgreSQL
    /// arrays, alert ids and log lines, lower-case hex in the 8-4-4-4-12 form.
    ///
    /// Why not `uuidString.lowercased()`: that formats the id in upper case
    /// and then lower-cases it through String's Unicode-aware path, two strings
    /// and a pass over each per id, and the services write several ids per
    /// event (issue 13: 8.7 % of the notification service's CPU in a profile of
    /// `make bench`). This writes the 36 bytes once.
    public var lowercasedText: String {
        withUnsafeBytes(of: self.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { text in
                var written = 0
                for (index, byte) in bytes.enumerated() {
                    if Self.hyphenPrecedes(byte: index) {
                        text[written] = UInt8(ascii: "-")
                        written += 1
                    }
                    text[written] = Self.hexDigit(byte >> 4)
                    text[written + 1] = Self.hexDigit(byte & 0x0F)
                    written += 2
                }
                return written
            }
        }
    }

    /// The 8-4-4-4-12 form: a hyphen before bytes 4, 6, 8 and 10.
    private static func hyphenPrecedes(byte index: Int) -> Bool {
        index == 4 || index == 6 || index == 8 || index == 10
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// Reads the 8-4-4-4-12 hex form, either case (36 bytes, a hyphen at 8,
    /// 13, 18 and 23, hex digits everywhere else), and nothing else.
    ///
    /// Why not `UUID(uuidString:)`: on Linux it converts the text with
    /// `sscanf` (swift-foundation's `_foundation_uuid_parse`), a format string
    /// interpreted per id: 3.4 % of the notification service's CPU in a
    /// profile of `make bench`, where every service reads every event's id.
    /// And `sscanf` is lenient: it skips a space, takes a sign or a `0x`, and
    /// so read " 1234567-…" as the id 12345607-…, another id than the text
    /// named (`UUIDTextTests`). This reads the 36 bytes once and refuses those.
    public init?(text: String) {
        var text = text
        guard let uuid = text.withUTF8({ Self.parse($0) }) else { return nil }
        self.init(uuid: uuid)
    }

    private static func parse(_ text: UnsafeBufferPointer<UInt8>) -> uuid_t? {
        guard text.count == 36 else { return nil }
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &uuid) { bytes -> Bool in
            var position = 0
            for index in 0..<16 {
                if Self.hyphenPrecedes(byte: index) {
                    guard text[position] == UInt8(ascii: "-") else { return false }
                    position += 1
                }
                guard let high = Self.nibble(text[position]), let low = Self.nibble(text[position + 1]) else { return false }
                bytes[index] = high << 4 | low
                position += 2
            }
            return true
        }
        return parsed ? uuid : nil
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
