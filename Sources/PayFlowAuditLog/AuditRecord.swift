import Foundation
import PayFlowRedis

/// One stream entry as the audit log keeps it: what the entry said, where it
/// was, and when this writer received it.
///
/// Built from the raw ``StreamEntry`` with no domain decoding at all: the audit
/// log must keep a copy of every entry, the malformed ones included (they are
/// the interesting ones), so nothing here can fail.
public struct AuditRecord: Sendable, Hashable {
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var stream: String
    public var entryID: StreamEntryID
    /// The id the entry is about (``AuditRecord/subjectFieldNames``), nil when none.
    public var eventID: String?
    /// An event's type, an alert's rule, a mismatch's kind (``AuditRecord/typeFieldNames``).
    public var type: String?
    /// In the entry's order. NUL characters, which PostgreSQL text cannot hold,
    /// are replaced by U+FFFD here, before hashing, so the stored row and its
    /// hash agree.
    public var fields: [Field]
    /// Microseconds since 1970 (UTC), the precision PostgreSQL stores.
    public var receivedAtMicroseconds: Int64
    /// The UTF-8 bytes of every name and value at init: a capacity hint for
    /// the writer's buffers (only a hint, so a later change of `fields` is harmless).
    var fieldBytes: Int

    public init(stream: String, entryID: StreamEntryID, fields: [Field], receivedAtMicroseconds: Int64) {
        self.stream = Self.sanitized(stream)
        self.entryID = entryID
        self.fields = fields
        var fieldBytes = 0
        for index in self.fields.indices {
            let field = self.fields[index]
            if Self.hasNUL(field.name) || Self.hasNUL(field.value) {
                self.fields[index] = Field(name: Self.sanitized(field.name), value: Self.sanitized(field.value))
            }
            fieldBytes += self.fields[index].name.utf8.count + self.fields[index].value.utf8.count
        }
        self.fieldBytes = fieldBytes
        self.receivedAtMicroseconds = receivedAtMicroseconds
        self.eventID = Self.firstValue(of: Self.subjectFieldNames, in: self.fields)
        self.type = Self.firstValue(of: Self.typeFieldNames, in: self.fields)
    }

    public init(entry: StreamEntry, receivedAt: Date) {
        self.init(
            stream: entry.stream,
            entryID: entry.id,
            fields: entry.fields.map { Field(name: $0.name, value: $0.value) },
            receivedAtMicroseconds: Int64((receivedAt.timeIntervalSince1970 * 1_000_000).rounded())
        )
    }

    /// Where the subject id lives, first match wins: an event's `id`, an
    /// alert's `event_id`, a mismatch's `transaction_id`, and the same inside
    /// a dead letter (`original.*`, see the runtime's `DeadLetter`).
    public static let subjectFieldNames = [
        "id", "event_id", "transaction_id", "original.id", "original.event_id", "original.transaction_id",
    ]
    /// Where the entry's kind lives, first match wins.
    public static let typeFieldNames = ["type", "rule", "kind", "original.type", "original.rule", "original.kind"]

    /// The entry's own time, from the millisecond part of its id: the
    /// partition key of `audit_log`.
    public var entryMilliseconds: Int64 { Int64(clamping: self.entryID.milliseconds) }

    /// The fields as stored in the `fields` jsonb column: an object, or an
    /// array of `[name, value]` pairs when a name repeats (an object would
    /// keep only one of them). See ``AuditFieldsJSON``.
    public var fieldsJSON: String {
        var bytes: [UInt8] = []
        AuditFieldsJSON.append(self.fields, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether two fields share a name: then the JSON is an array of pairs.
    static func hasRepeatedName(_ fields: [Field]) -> Bool {
        if fields.count <= 16 {
            for later in fields.indices.dropFirst() {
                for earlier in 0..<later where fields[earlier].name == fields[later].name {
                    return true
                }
            }
            return false
        }
        return Set(fields.map(\.name)).count != fields.count
    }

    /// The order in which ``AuditRowHash`` hashes the fields: by name then
    /// value, byte-wise (jsonb does not keep the entry's order, and the hash
    /// must be recomputable from what is stored). The comparison is the v1
    /// scheme's own, `==` included, so every stored hash still verifies.
    func hashOrder() -> [Int] {
        let fields = self.fields
        return fields.indices.sorted { lhs, rhs in
            fields[lhs].name.utf8.lexicographicallyPrecedes(fields[rhs].name.utf8)
                || (fields[lhs].name == fields[rhs].name && fields[lhs].value.utf8.lexicographicallyPrecedes(fields[rhs].value.utf8))
        }
    }

    /// Reads the `fields` column back (either shape), for verification.
    public static func fields(fromJSON text: String) -> [Field]? {
        let data = Data(text.utf8)
        if let object = try? JSONDecoder().decode([String: String].self, from: data) {
            return object.map { Field(name: $0.key, value: $0.value) }
        }
        if let pairs = try? JSONDecoder().decode([[String]].self, from: data), pairs.allSatisfy({ $0.count == 2 }) {
            return pairs.map { Field(name: $0[0], value: $0[1]) }
        }
        return nil
    }

    private static func firstValue(of names: [String], in fields: [Field]) -> String? {
        for name in names {
            if let value = fields.first(where: { $0.name == name })?.value, !value.isEmpty {
                return value
            }
        }
        return nil
    }

    private static func hasNUL(_ text: String) -> Bool {
        text.utf8.contains(0)
    }

    private static func sanitized(_ text: String) -> String {
        Self.hasNUL(text) ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }
}
