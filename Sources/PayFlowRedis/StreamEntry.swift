/// One entry read from a stream: where it came from, its id and its fields.
///
/// The fields stay the bytes Redis sent, in a buffer shared by every entry of
/// the reply they came in (``StreamFieldBuffer``), and become `String`s only
/// when a service asks for them. Why: the runtime reads, counts and acks an
/// entry without looking at its fields, and copying 24 names and values per
/// entry into separate arrays and strings cost more client CPU than Redis
/// spent serving the entry (issue 13).
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
    private var buffer: StreamFieldBuffer
    /// Index in `buffer` of this entry's first field name.
    private var firstString: Int
    /// Field name-value pairs of this entry.
    public private(set) var fieldCount: Int

    public init(stream: String, id: StreamEntryID, fields: [(name: String, value: String)]) {
        self.stream = stream
        self.id = id
        self.buffer = StreamFieldBuffer(fields)
        self.firstString = 0
        self.fieldCount = fields.count
    }

    /// An entry whose fields are strings `firstString ..< firstString + 2 * fieldCount`
    /// of a buffer shared with the other entries of one reply.
    init(stream: String, id: StreamEntryID, buffer: StreamFieldBuffer, firstString: Int, fieldCount: Int) {
        self.stream = stream
        self.id = id
        self.buffer = buffer
        self.firstString = firstString
        self.fieldCount = fieldCount
    }

    public var key: Key { Key(stream: self.stream, id: self.id) }

    /// Field names and values in the order they were added, made on each call.
    /// Text, because every PayFlow event is text; bytes that are not UTF-8 are
    /// replaced, not dropped.
    public var fields: [(name: String, value: String)] {
        get {
            var fields: [(name: String, value: String)] = []
            fields.reserveCapacity(self.fieldCount)
            for pair in 0..<self.fieldCount {
                let name = self.firstString + 2 * pair
                fields.append((self.buffer.string(at: name), self.buffer.string(at: name + 1)))
            }
            return fields
        }
        set {
            self.buffer = StreamFieldBuffer(newValue)
            self.firstString = 0
            self.fieldCount = newValue.count
        }
    }

    /// The value of the first field with this name; compares bytes, so only
    /// the value found becomes a `String`.
    public subscript(field name: String) -> String? {
        var name = name
        return name.withUTF8 { wanted -> String? in
            for pair in 0..<self.fieldCount {
                let index = self.firstString + 2 * pair
                if self.buffer.bytesEqual(at: index, wanted) {
                    return self.buffer.string(at: index + 1)
                }
            }
            return nil
        }
    }

    /// Equal when the fields read as the same text: bytes that are not UTF-8
    /// equal the replacement characters they read as, as when fields were
    /// stored as strings.
    public static func == (lhs: StreamEntry, rhs: StreamEntry) -> Bool {
        guard lhs.stream == rhs.stream, lhs.id == rhs.id, lhs.fieldCount == rhs.fieldCount else { return false }
        for offset in 0..<(2 * lhs.fieldCount) {
            let (left, right) = (lhs.firstString + offset, rhs.firstString + offset)
            let sameBytes = rhs.buffer.withBytes(at: right) { lhs.buffer.bytesEqual(at: left, $0) }
            if !sameBytes && lhs.buffer.string(at: left) != rhs.buffer.string(at: right) { return false }
        }
        return true
    }
}
