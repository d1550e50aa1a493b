import Crypto
import Foundation

/// The hash chain's arithmetic, shared by the writer and `audit verify` so
/// the two can never disagree on what a row's content is.
///
/// `row_hash = SHA-256(prev_hash || content)`, where `content` is a
/// length-prefixed encoding of everything stored about the entry (chain and
/// position included, so a row cannot be moved within or between chains).
/// Fields are hashed sorted by name then value, byte-wise: jsonb does not keep
/// the entry's field order, and the hash must be recomputable from what is
/// stored.
public enum AuditRowHash {
    /// `prev_hash` of a chain's first row.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    static let version = "payflow-audit-v1"

    public static func hash(previous: [UInt8], chainID: UUID, sequence: Int64, record: AuditRecord) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: self.content(chainID: chainID, sequence: sequence, record: record))
        return Array(hasher.finalize())
    }

    static func content(chainID: UUID, sequence: Int64, record: AuditRecord) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + record.fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 8 })
        func append(_ text: String) {
            let utf8 = Array(text.utf8)
            withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: utf8)
        }
        func append(optional text: String?) {
            if let text {
                bytes.append(1)
                append(text)
            } else {
                bytes.append(0)
            }
        }
        append(self.version)
        append(chainID.uuidString.lowercased())
        append(String(sequence))
        append(record.stream)
        append(record.entryID.description)
        append(optional: record.eventID)
        append(optional: record.type)
        append(String(record.receivedAtMicroseconds))
        let sorted = record.fields.sorted { lhs, rhs in
            lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
                || (lhs.name == rhs.name && lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8))
        }
        append(String(sorted.count))
        for field in sorted {
            append(field.name)
            append(field.value)
        }
        return bytes
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var result: [UInt8] = []
        result.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }
}
