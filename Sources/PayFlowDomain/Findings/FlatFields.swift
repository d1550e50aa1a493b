/// Strict reading of a flat stream entry shared by the findings decoders:
/// every field named once, none unknown, none empty.
struct FlatFields {
    private var values: [String: String] = [:]

    init(_ fields: some Sequence<(name: String, value: String)>, allowed: Set<String>) throws(EventDecodingError) {
        for (name, value) in fields {
            guard self.values[name] == nil else { throw EventDecodingError(field: name, problem: .duplicateField) }
            guard allowed.contains(name) else { throw EventDecodingError(field: name, problem: .unknownField) }
            self.values[name] = value
        }
    }

    func required(_ name: String) throws(EventDecodingError) -> String {
        guard let value = self.values[name] else { throw EventDecodingError(field: name, problem: .missingField) }
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
