import Foundation
import PayFlowRedis
import PayFlowTestSupport
import Testing

@testable import PayFlowAuditLog

/// The writer's byte-level encoders against the first implementation, kept
/// here as the reference: every stored row's hash depends on the v1 content
/// bytes, so a faster encoder must produce exactly the same ones, or rows
/// written before it would no longer verify.
@Suite("audit log: row hash and fields JSON, byte for byte")
struct AuditRowHashTests {
    @Test func theContentBytesAreTheFirstImplementations() {
        var generator = SeededGenerator(seed: 13)
        for index in 0..<500 {
            let record = Self.randomRecord(&generator, index: index)
            let chainID = UUID()
            let sequence = Int64.random(in: 1...Int64.max, using: &generator)
            #expect(
                AuditRowHash.content(chainID: chainID, sequence: sequence, record: record)
                    == Self.referenceContent(chainID: chainID, sequence: sequence, record: record),
                "record \(index): \(record)"
            )
        }
    }

    @Test func theFieldsJSONReadsBackAsTheFirstImplementations() throws {
        var generator = SeededGenerator(seed: 21)
        for index in 0..<500 {
            let record = Self.randomRecord(&generator, index: index)
            let written = try #require(AuditRecord.fields(fromJSON: record.fieldsJSON), "record \(index): \(record.fieldsJSON)")
            let reference = try #require(AuditRecord.fields(fromJSON: Self.referenceJSON(record)))
            // An object comes back in no particular order; pairs in the entry's.
            #expect(written.sorted(by: Self.byNameThenValue) == reference.sorted(by: Self.byNameThenValue), "record \(index)")
            #expect(written.count == record.fields.count)
        }
    }

    // MARK: - Inputs

    /// Names and values that exercise the encoders: escapes, control
    /// characters, non-ASCII, empty strings, repeated names, subject fields.
    static let alphabet: [String] = [
        "a", "Z", "0", "-", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1F}", "é", "e\u{301}", "€", "😀", " ", ".",
    ]
    static let names = ["id", "type", "event_id", "rule", "kind", "original.id", "account", "amount", "x", "é", ""]

    static func randomText(_ generator: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...12, using: &generator)).map { _ in Self.alphabet.randomElement(using: &generator)! }.joined()
    }

    static func randomRecord(_ generator: inout SeededGenerator, index: Int) -> AuditRecord {
        let fields = (0..<Int.random(in: 0...14, using: &generator)).map { _ in
            AuditRecord.Field(
                name: Bool.random(using: &generator) ? Self.names.randomElement(using: &generator)! : Self.randomText(&generator),
                value: Bool.random(using: &generator) ? "" : Self.randomText(&generator) + (Bool.random(using: &generator) ? "\u{0}" : "")
            )
        }
        return AuditRecord(
            stream: Bool.random(using: &generator) ? "payflow:events" : Self.randomText(&generator),
            entryID: StreamEntryID(milliseconds: UInt64.random(in: 0...UInt64.max, using: &generator), sequence: UInt64(index)),
            fields: fields,
            receivedAtMicroseconds: Int64.random(in: Int64.min...Int64.max, using: &generator)
        )
    }

    static func byNameThenValue(_ lhs: AuditRecord.Field, _ rhs: AuditRecord.Field) -> Bool {
        lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
            || (lhs.name.utf8.elementsEqual(rhs.name.utf8) && lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8))
    }

    // MARK: - The first implementation

    static func referenceContent(chainID: UUID, sequence: Int64, record: AuditRecord) -> [UInt8] {
        var bytes: [UInt8] = []
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
        append("payflow-audit-v1")
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

    static func referenceJSON(_ record: AuditRecord) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let names = Set(record.fields.map(\.name))
        let data: Data?
        if names.count == record.fields.count {
            data = try? encoder.encode(Dictionary(uniqueKeysWithValues: record.fields.map { ($0.name, $0.value) }))
        } else {
            data = try? encoder.encode(record.fields.map { [$0.name, $0.value] })
        }
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
