import Crypto
import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis

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
        var scratch: [UInt8] = []
        return self.hash(previous: previous, chain: self.chainPrefix(chainID), sequence: sequence, record: record, scratch: &scratch)
    }

    /// The writer's form: `chain` is ``chainPrefix(_:)`` computed once per
    /// chain, and `scratch` a buffer reused from row to row, so a batch of
    /// rows costs no allocation per row beyond the digest.
    static func hash(previous: [UInt8], chain: [UInt8], sequence: Int64, record: AuditRecord, scratch: inout [UInt8]) -> [UInt8] {
        scratch.removeAll(keepingCapacity: true)
        self.appendContent(chain: chain, sequence: sequence, record: record, to: &scratch)
        var hasher = SHA256()
        hasher.update(data: previous)
        hasher.update(data: scratch)
        return Array(hasher.finalize())
    }

    static func content(chainID: UUID, sequence: Int64, record: AuditRecord) -> [UInt8] {
        var bytes: [UInt8] = []
        self.appendContent(chain: self.chainPrefix(chainID), sequence: sequence, record: record, to: &bytes)
        return bytes
    }

    /// The part of `content` that is the same for every row of a chain: the
    /// version and the chain id.
    static func chainPrefix(_ chainID: UUID) -> [UInt8] {
        var bytes: [UInt8] = []
        self.append(self.version, to: &bytes)
        self.append(chainID.lowercasedText, to: &bytes)
        return bytes
    }

    /// `content` as the v1 scheme defines it, written straight into `bytes`:
    /// each text is its UTF-8 length (4 bytes, big-endian) then its bytes;
    /// numbers are their decimal text; an optional is a 0 or 1 byte first.
    /// `AuditRowHashTests` holds it byte for byte to the first implementation,
    /// since every stored row's hash depends on it.
    static func appendContent(chain: [UInt8], sequence: Int64, record: AuditRecord, to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + chain.count + 160 + record.fields.count * 8 + record.fieldBytes)
        bytes.append(contentsOf: chain)
        self.append(decimal: sequence, to: &bytes)
        self.append(record.stream, to: &bytes)
        self.append(decimal: record.entryID, to: &bytes)
        self.append(optional: record.eventID, to: &bytes)
        self.append(optional: record.type, to: &bytes)
        self.append(decimal: record.receivedAtMicroseconds, to: &bytes)
        self.append(decimal: Int64(record.fields.count), to: &bytes)
        for index in record.hashOrder() {
            let field = record.fields[index]
            self.append(field.name, to: &bytes)
            self.append(field.value, to: &bytes)
        }
    }

    private static func append(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = text.utf8
        withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }

    private static func append(optional text: String?, to bytes: inout [UInt8]) {
        if let text {
            bytes.append(1)
            self.append(text, to: &bytes)
        } else {
            bytes.append(0)
        }
    }

    /// `append(String(value))` without the String.
    private static func append(decimal value: Int64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(DecimalText.length(value)).bigEndian) { bytes.append(contentsOf: $0) }
        DecimalText.append(value, to: &bytes)
    }

    /// `append(entryID.description)`: `<milliseconds>-<sequence>`.
    private static func append(decimal id: StreamEntryID, to bytes: inout [UInt8]) {
        let length = DecimalText.length(id.milliseconds) + 1 + DecimalText.length(id.sequence)
        withUnsafeBytes(of: UInt32(length).bigEndian) { bytes.append(contentsOf: $0) }
        DecimalText.append(id.milliseconds, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        DecimalText.append(id.sequence, to: &bytes)
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
