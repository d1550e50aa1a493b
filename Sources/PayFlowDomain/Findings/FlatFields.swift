/// Strict reading of a flat stream entry, shared by every decoder of the
/// domain (events, alerts, mismatches): every field named once, none unknown,
/// none empty.
///
/// The fields stay the array they came in and are found by comparing names:
/// an entry has a dozen short names, every group decodes every event, and
/// hashing each name into a dictionary cost more than the comparisons.
struct FlatFields {
    private let fields: [(name: String, value: String)]

    /// Refuses a repeated name, and a name not in `allowed`, whichever comes
    /// first in field order.
    init(_ fields: [(name: String, value: String)], allowed: Set<String>) throws(EventDecodingError) {
        for (index, field) in fields.enumerated() {
            if fields[..<index].contains(where: { $0.name == field.name }) {
                throw EventDecodingError(field: field.name, problem: .duplicateField)
            }
            guard allowed.contains(field.name) else { throw EventDecodingError(field: field.name, problem: .unknownField) }
        }
        self.fields = fields
    }

    /// Refuses a repeated name only, for a decoder that knows which names are
    /// allowed once it has read some (an event's type): see ``firstUnknown(allowed:)``.
    init(_ fields: [(name: String, value: String)]) throws(EventDecodingError) {
        for (index, field) in fields.enumerated() where fields[..<index].contains(where: { $0.name == field.name }) {
            throw EventDecodingError(field: field.name, problem: .duplicateField)
        }
        self.fields = fields
    }

    /// The first name not in `allowed` in sorted order, so that a reason does
    /// not depend on the order of the fields; nil when every name is allowed.
    func firstUnknown(allowed: [String]) -> String? {
        guard self.fields.contains(where: { !allowed.contains($0.name) }) else { return nil }
        return self.fields.map(\.name).filter { !allowed.contains($0) }.min()
    }

    func required(_ name: String) throws(EventDecodingError) -> String {
        guard let value = self.fields.first(where: { $0.name == name })?.value else {
            throw EventDecodingError(field: name, problem: .missingField)
        }
        guard !value.isEmpty else { throw EventDecodingError(field: name, problem: .emptyField) }
        return value
    }

    func time(_ name: String) throws(EventDecodingError) -> EventTimestamp {
        let text = try self.required(name)
        guard let time = EventTimestamp(rfc3339: text) else {
            throw EventDecodingError(field: name, problem: .invalidValue("'\(text)' is not an RFC 3339 UTC time"))
        }
        return time
    }
}
