/// One entry read from a stream: where it came from, its id and its fields.
public struct StreamEntry: Sendable, Equatable {
    /// Identifies an entry across all the streams a consumer reads.
    public struct Key: Hashable, Sendable, CustomStringConvertible {
        public var stream: String
        public var id: StreamEntryID

        public init(stream: String, id: StreamEntryID) {
            self.stream = stream
            self.id = id
        }

        public var description: String { "\(self.stream)/\(self.id)" }
    }

    public var stream: String
    public var id: StreamEntryID
    /// Field names and values in the order they were added. Text, because every
    /// PayFlow event is text; bytes that are not UTF-8 are replaced, not dropped.
    public var fields: [(name: String, value: String)]

    public init(stream: String, id: StreamEntryID, fields: [(name: String, value: String)]) {
        self.stream = stream
        self.id = id
        self.fields = fields
    }

    public var key: Key { Key(stream: self.stream, id: self.id) }

    /// The value of the first field with this name.
    public subscript(field name: String) -> String? {
        self.fields.first { $0.name == name }?.value
    }

    public static func == (lhs: StreamEntry, rhs: StreamEntry) -> Bool {
        lhs.stream == rhs.stream && lhs.id == rhs.id
            && lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }
}
