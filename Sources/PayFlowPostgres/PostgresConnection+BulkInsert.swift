extension PostgresConnection {
    /// PostgreSQL's wire protocol counts bind parameters in 16 bits.
    static let maxParametersPerStatement = 65_535

    /// Inserts `rows` with multi-row `INSERT ... VALUES ($1, $2), ($3, $4) ...` statements,
    /// chunked to stay under 65,535 bound parameters, and returns the affected-row total.
    ///
    /// Use it instead of ``copyIn(table:columns:rows:)`` when you need `ON CONFLICT` (COPY
    /// has none): pass e.g. `onConflict: "ON CONFLICT (consumer_group, event_id) DO NOTHING"`.
    /// That clause is SQL text appended as is, so it must be a constant, never built from
    /// values; values always travel as bound parameters. Chunks are separate statements: wrap
    /// the call in ``withTransaction(_:)`` when all rows must land or none.
    @discardableResult
    public func insertRows(
        into table: String,
        columns: [String],
        rows: some Collection<[(any PostgresEncodable)?]>,
        onConflict: String? = nil
    ) async throws -> Int {
        let results = try await self.insertChunks(into: table, columns: columns, rows: rows, suffix: onConflict.map { " " + $0 } ?? "")
        return results.reduce(0) { $0 + ($1.affectedRows ?? 0) }
    }

    /// ``insertRows(into:columns:rows:onConflict:)`` with `RETURNING <returning>`:
    /// returns the rows the statements returned. Under `ON CONFLICT ... DO NOTHING` those are
    /// the rows that were new, which is how a caller counts what it added rather than what it
    /// sent. `returning` is SQL text appended as is, like `onConflict`: a constant.
    public func insertRows(
        into table: String,
        columns: [String],
        rows: some Collection<[(any PostgresEncodable)?]>,
        onConflict: String? = nil,
        returning: String
    ) async throws -> [PostgresRow] {
        let suffix = (onConflict.map { " " + $0 } ?? "") + " RETURNING " + returning
        return try await self.insertChunks(into: table, columns: columns, rows: rows, suffix: suffix).flatMap(\.rows)
    }

    /// One statement per chunk of rows; the results in order.
    private func insertChunks(
        into table: String,
        columns: [String],
        rows: some Collection<[(any PostgresEncodable)?]>,
        suffix: String
    ) async throws -> [PostgresQueryResult] {
        guard !columns.isEmpty else {
            throw PostgresError(code: .queryFailed, message: "INSERT into \(table) needs at least one column")
        }
        let prefix = "INSERT INTO \(PostgresIdentifier.quoted(table)) ("
            + columns.map(PostgresIdentifier.quoted).joined(separator: ", ") + ") VALUES "
        let rowsPerStatement = max(1, Self.maxParametersPerStatement / columns.count)
        var results: [PostgresQueryResult] = []
        var chunk: [[(any PostgresEncodable)?]] = []
        chunk.reserveCapacity(min(rows.count, rowsPerStatement))
        var rowNumber = 0
        for row in rows {
            rowNumber += 1
            guard row.count == columns.count else {
                throw PostgresError(
                    code: .queryFailed,
                    message: "row \(rowNumber) has \(row.count) values for \(columns.count) columns"
                )
            }
            chunk.append(row)
            if chunk.count == rowsPerStatement {
                results.append(try await self.insertChunk(chunk, prefix: prefix, suffix: suffix, width: columns.count))
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty {
            results.append(try await self.insertChunk(chunk, prefix: prefix, suffix: suffix, width: columns.count))
        }
        return results
    }

    private func insertChunk(
        _ rows: [[(any PostgresEncodable)?]],
        prefix: String,
        suffix: String,
        width: Int
    ) async throws -> PostgresQueryResult {
        var sql = prefix
        var parameters: [(any PostgresEncodable)?] = []
        parameters.reserveCapacity(rows.count * width)
        for (rowIndex, row) in rows.enumerated() {
            sql += rowIndex == 0 ? "(" : ", ("
            for column in 0..<width {
                sql += (column == 0 ? "$" : ", $") + String(parameters.count + 1)
                parameters.append(row[column])
            }
            sql += ")"
        }
        sql += suffix
        // The text is sized to this chunk's rows: run it unprepared.
        return try await self.query(sql, parameters, prepared: false)
    }
}
