import Foundation

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
                    if index == 4 || index == 6 || index == 8 || index == 10 {
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

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
