import Foundation
import PayFlowDomain
import PayFlowPostgres

/// JSON written straight into one byte buffer, for what every batch's
/// checkpoint saves: the touched accounts, the simulation snapshot and the
/// outbox.
///
/// Why not `JSONEncoder`: it builds a tree of boxed values per account and
/// per message, and with it the checkpoint was three quarters of the
/// generator's CPU (issue 13); these writers spell the same JSON byte by
/// byte. Reading stays `JSONDecoder` with the types' `Decodable`
/// conformances, so rows written by older versions and by this one restore
/// alike, and a writer that drops a field is caught by the decoder (a
/// missing key) and by `CheckpointJSONTests`.
///
/// Keys and values are written in the order the caller calls; commas are
/// placed by the writer.
struct CheckpointJSON {
    private(set) var bytes: [UInt8]
    /// Whether the next key or value follows a sibling and needs a comma.
    private var needsComma = false

    init(capacity: Int = 512) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// The JSON as text (the columns are `text`).
    var text: String {
        String(decoding: self.bytes, as: UTF8.self)
    }

    // MARK: - Structure

    mutating func beginObject() {
        self.separate()
        self.bytes.append(UInt8(ascii: "{"))
        self.needsComma = false
    }

    mutating func endObject() {
        self.bytes.append(UInt8(ascii: "}"))
        self.needsComma = true
    }

    mutating func beginArray() {
        self.separate()
        self.bytes.append(UInt8(ascii: "["))
        self.needsComma = false
    }

    mutating func endArray() {
        self.bytes.append(UInt8(ascii: "]"))
        self.needsComma = true
    }

    /// An object key; the next call writes its value. Keys are the types'
    /// coding keys, plain ASCII, so they are written without escaping.
    mutating func key(_ name: StaticString) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { self.bytes.append(contentsOf: $0) }
        self.bytes.append(UInt8(ascii: "\""))
        self.bytes.append(UInt8(ascii: ":"))
        self.needsComma = false
    }

    /// A value written before by another ``CheckpointJSON`` (its `bytes`).
    mutating func written(_ value: [UInt8]) {
        self.separate()
        self.bytes.append(contentsOf: value)
        self.needsComma = true
    }

    // MARK: - Values

    /// A string, escaped as JSON requires: `"`, `\` and control characters;
    /// everything else is copied as UTF-8.
    mutating func string(_ value: some StringProtocol) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                self.bytes.append(UInt8(ascii: "\\"))
                self.bytes.append(byte)
            case 0..<0x20:
                let digits: StaticString = "0123456789abcdef"
                self.bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                self.bytes.append(digits.utf8Start[Int(byte >> 4)])
                self.bytes.append(digits.utf8Start[Int(byte & 0x0f)])
            default:
                self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    mutating func integer(_ value: Int64) {
        self.separate()
        DecimalText.append(value, to: &self.bytes)
        self.needsComma = true
    }

    mutating func integer(_ value: Int) {
        self.integer(Int64(value))
    }

    mutating func integer(_ value: UInt64) {
        self.separate()
        DecimalText.append(value, to: &self.bytes)
        self.needsComma = true
    }

    mutating func bool(_ value: Bool) {
        self.separate()
        self.bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes)
        self.needsComma = true
    }

    /// Swift's shortest spelling that reads back as the same `Double`
    /// (`description`), which `JSONDecoder` parses exactly. JSON has no
    /// infinity or NaN: like `JSONEncoder`, refuse them.
    mutating func double(_ value: Double) throws(CheckpointJSONError) {
        guard value.isFinite else { throw CheckpointJSONError(value: value) }
        self.separate()
        self.bytes.append(contentsOf: value.description.utf8)
        self.needsComma = true
    }

    /// An ``EventTimestamp`` as its `Codable` form, the RFC 3339 text of
    /// `description` (`2026-03-02T08:00:00.000000Z`), spelled digit by digit.
    mutating func timestamp(_ value: EventTimestamp) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        value.appendRFC3339(to: &self.bytes)
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    /// A `UUID` as its `Codable` form, `uuidString` (upper case).
    mutating func uuid(_ value: UUID) {
        self.separate()
        self.bytes.append(UInt8(ascii: "\""))
        let digits: StaticString = "0123456789ABCDEF"
        withUnsafeBytes(of: value.uuid) { raw in
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    self.bytes.append(UInt8(ascii: "-"))
                }
                self.bytes.append(digits.utf8Start[Int(byte >> 4)])
                self.bytes.append(digits.utf8Start[Int(byte & 0x0f)])
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
        self.needsComma = true
    }

    // MARK: - Private

    private static let trueBytes: [UInt8] = Array("true".utf8)
    private static let falseBytes: [UInt8] = Array("false".utf8)

    private mutating func separate() {
        if self.needsComma {
            self.bytes.append(UInt8(ascii: ","))
        }
    }
}

/// A value JSON cannot hold (an infinite or NaN `Double`).
struct CheckpointJSONError: Error, CustomStringConvertible {
    var value: Double

    var description: String {
        "\(self.value) cannot be written as JSON"
    }
}
