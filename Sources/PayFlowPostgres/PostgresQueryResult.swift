/// What a statement returned: its rows (possibly none) and how many rows it touched.
public struct PostgresQueryResult: Sendable {
    /// The rows of a `SELECT` or `... RETURNING`; empty for other statements.
    public let rows: [PostgresRow]
    /// The result's column names (empty when the statement returns no rows at all).
    public let columns: PostgresColumns
    /// Rows affected by `INSERT`/`UPDATE`/`DELETE`/`COPY`/`SELECT` (from `PQcmdTuples`);
    /// nil for statements that do not report a count (`CREATE TABLE`, `BEGIN`...).
    public let affectedRows: Int?
    /// The command tag, e.g. `INSERT 0 3` or `SELECT 1`.
    public let commandTag: String

    init(rows: [PostgresRow], columns: PostgresColumns, affectedRows: Int?, commandTag: String) {
        self.rows = rows
        self.columns = columns
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }

    /// The first row, for queries expected to return one.
    public var first: PostgresRow? {
        self.rows.first
    }
}
