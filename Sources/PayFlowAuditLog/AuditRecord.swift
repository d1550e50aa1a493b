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

    public init(stream: String, entryID: StreamEntryID, fields: [Field], receivedAtMicroseconds: Int64) {
        self.stream = Self.sanitized(stream)
        self.entryID = entryID
        self.fields = fields.map { Field(name: Self.sanitized($0.name), value: Self.sanitized($0.value)) }
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
    /// keep only one of them).
    public var fieldsJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let names = Set(self.fields.map(\.name))
        let data: Data?
        if names.count == self.fields.count {
            data = try? encoder.encode(Dictionary(uniqueKeysWithValues: self.fields.map { ($0.name, $0.value) }))
        } else {
            data = try? encoder.encode(self.fields.map { [$0.name, $0.value] })
        }
        // Encoding strings into JSON cannot fail; an empty object is the
        // impossible fallback rather than a crash.
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
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

    private static func sanitized(_ text: String) -> String {
        text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : text
    }
}
