/// One row of a result, already copied out of libpq into Swift strings.
///
/// Values are kept as PostgreSQL printed them (text format) and decoded on access, so a row
/// is cheap to build and the caller picks the Swift type. Access is by column index (fast,
/// positional) or by column name (readable; the first column of that name wins, as in SQL).
public struct PostgresRow: Sendable {
    /// The result's column names, shared by all rows of one result.
    public let columns: PostgresColumns
    /// The raw text of each field; nil is SQL NULL.
    public let values: [String?]

    init(columns: PostgresColumns, values: [String?]) {
        self.columns = columns
        self.values = values
    }

    /// Number of fields in the row.
    public var count: Int {
        self.values.count
    }

    /// Whether the field at `index` is SQL NULL.
    public func isNull(_ index: Int) throws -> Bool {
        try self.checked(index)
        return self.values[index] == nil
    }

    /// Whether the field named `column` is SQL NULL.
    public func isNull(_ column: String) throws -> Bool {
        try self.isNull(self.index(of: column))
    }

    // MARK: - Decoding

    /// Decodes a non-NULL field; NULL or unparsable text is a ``PostgresError/Code/decoding`` error.
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard let value = try self.decode(index, as: T?.self) else {
            throw PostgresError(
                code: .decoding,
                message: "column \(self.label(index)) is NULL; decode it as \(T.self)? to accept NULL"
            )
        }
        return value
    }

    /// Decodes a field that may be NULL; unparsable text is still an error.
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T?.Type = T?.self) throws -> T? {
        try self.checked(index)
        guard let text = self.values[index] else {
            return nil
        }
        guard let value = T(postgresText: text) else {
            throw PostgresError(
                code: .decoding,
                message: "column \(self.label(index)) holds \(Self.quoted(text)), which is not a valid \(T.self)"
            )
        }
        return value
    }

    /// Decodes a non-NULL field by column name.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self.decode(self.index(of: column), as: T.self)
    }

    /// Decodes a field that may be NULL, by column name.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T?.Type = T?.self) throws -> T? {
        try self.decode(self.index(of: column), as: T?.self)
    }

    // MARK: - Helpers

    private func index(of column: String) throws -> Int {
        guard let index = self.columns.index(of: column) else {
            throw PostgresError(
                code: .decoding,
                message: "no column named \"\(column)\"; the result has \(self.columns.names)"
            )
        }
        return index
    }

    private func checked(_ index: Int) throws {
        guard self.values.indices.contains(index) else {
            throw PostgresError(
                code: .decoding,
                message: "column index \(index) is out of range; the result has \(self.values.count) columns"
            )
        }
    }

    private func label(_ index: Int) -> String {
        "\(index) (\"\(self.columns.names[index])\")"
    }

    /// Long values (a JSON document, a bytea) would swamp the error message.
    private static func quoted(_ text: String) -> String {
        text.count > 64 ? "\"\(text.prefix(64))…\"" : "\"\(text)\""
    }
}

/// The column names of a result, with a name-to-index table built once per result rather
/// than once per row.
public final class PostgresColumns: Sendable {
    public let names: [String]
    private let indexByName: [String: Int]

    init(names: [String]) {
        self.names = names
        var indexByName: [String: Int] = [:]
        for (index, name) in names.enumerated() where indexByName[name] == nil {
            indexByName[name] = index
        }
        self.indexByName = indexByName
    }

    /// The first column called `name`, if any.
    public func index(of name: String) -> Int? {
        self.indexByName[name]
    }
}
