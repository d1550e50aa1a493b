import CLibpq

extension PostgresConnection {
    /// Bytes collected before a chunk goes to the connection thread: large enough that the
    /// thread hop is noise next to the data, small enough to keep memory flat on huge inputs.
    private static let copyChunkSize = 1 << 20

    /// Bulk-loads `rows` into `table` with `COPY ... FROM STDIN` (text format) and returns the
    /// number of rows the server stored. The services' fast path for audit rows: one round
    /// trip per megabyte instead of one per row.
    ///
    /// Each row must have one value per column; `nil` is NULL. Field text is escaped for COPY
    /// (`\\`, tab, newline, carriage return) so values arrive byte for byte. Identifiers are
    /// quoted, so `table` and `columns` are exact names, not SQL. Any error (a bad row here, a
    /// constraint on the server, cancellation) aborts the whole COPY: nothing is stored.
    @discardableResult
    public func copyIn(
        table: String,
        columns: [String],
        rows: some Sequence<[(any PostgresEncodable)?]>
    ) async throws -> Int {
        guard !columns.isEmpty else {
            throw PostgresError(code: .copyFailed, message: "COPY into \(table) needs at least one column")
        }
        let sql = "COPY \(PostgresIdentifier.quoted(table)) ("
            + columns.map(PostgresIdentifier.quoted).joined(separator: ", ") + ") FROM STDIN"
        try await self.onConnectionThread {
            try self.startCopyOnThread(sql)
        }
        do {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(Self.copyChunkSize + 64 * 1024)
            for (index, row) in rows.enumerated() {
                try Self.appendCopyLine(row, rowNumber: index + 1, columns: columns, to: &buffer)
                if buffer.count >= Self.copyChunkSize {
                    let chunk = buffer
                    buffer.removeAll(keepingCapacity: true)
                    try await self.onConnectionThread {
                        try self.putCopyDataOnThread(chunk, sql: sql)
                    }
                }
            }
            if !buffer.isEmpty {
                let chunk = buffer
                try await self.onConnectionThread {
                    try self.putCopyDataOnThread(chunk, sql: sql)
                }
            }
        } catch {
            await self.abortCopy(reason: "\(error)")
            throw error
        }
        return try await self.onConnectionThread(cancellable: false) {
            try self.endCopyOnThread(sql: sql)
        }
    }

    // MARK: - Text format

    /// Appends one COPY text-format line: fields separated by tabs, `\N` for NULL, newline at
    /// the end; backslash, tab, newline and carriage return escaped inside fields.
    static func appendCopyLine(
        _ row: [(any PostgresEncodable)?],
        rowNumber: Int,
        columns: [String],
        to buffer: inout [UInt8]
    ) throws {
        guard row.count == columns.count else {
            throw PostgresError(
                code: .copyFailed,
                message: "row \(rowNumber) has \(row.count) values for \(columns.count) columns"
            )
        }
        for (index, value) in row.enumerated() {
            if index > 0 {
                buffer.append(UInt8(ascii: "\t"))
            }
            guard let text = value?.postgresText else {
                buffer.append(UInt8(ascii: "\\"))
                buffer.append(UInt8(ascii: "N"))
                continue
            }
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\\"):
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\t"):
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"):
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"):
                    buffer.append(UInt8(ascii: "\\"))
                    buffer.append(UInt8(ascii: "r"))
                case 0:
                    throw PostgresError(
                        code: .encoding,
                        message: "row \(rowNumber), column \"\(columns[index])\" contains a NUL byte, "
                            + "which PostgreSQL text cannot hold"
                    )
                default:
                    buffer.append(byte)
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    // MARK: - On the connection thread

    private func startCopyOnThread(_ sql: String) throws {
        let handle = try self.readyHandle()
        guard let result = PQexec(handle, sql) else {
            throw self.error(handle: handle, result: nil, query: sql, code: .copyFailed)
        }
        defer {
            PQclear(result)
        }
        guard PQresultStatus(result) == PGRES_COPY_IN else {
            throw self.error(handle: handle, result: result, query: sql, code: .copyFailed)
        }
    }

    /// Sends data without `readyHandle()`: a reset in the middle of a COPY would lose it.
    private func putCopyDataOnThread(_ chunk: [UInt8], sql: String) throws {
        guard let handle = self.handle else {
            throw PostgresError(code: .connectionClosed, message: "the connection was closed during COPY")
        }
        let sent = chunk.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                PQputCopyData(handle, chars.baseAddress, Int32(chars.count))
            }
        }
        guard sent == 1 else {
            throw self.error(handle: handle, result: nil, query: sql, code: .copyFailed)
        }
    }

    private func endCopyOnThread(sql: String) throws -> Int {
        guard let handle = self.handle else {
            throw PostgresError(code: .connectionClosed, message: "the connection was closed during COPY")
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            throw self.error(handle: handle, result: nil, query: sql, code: .copyFailed)
        }
        var stored = 0
        var failure: PostgresError?
        self.drainResults(handle) { result in
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                stored = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
            } else if failure == nil {
                failure = self.error(handle: handle, result: result, query: sql, code: .copyFailed)
            }
        }
        if let failure {
            throw failure
        }
        return stored
    }

    /// Ends a COPY with an error so the server discards everything sent, and returns the
    /// session to idle. Failures are logged only: the caller is already throwing the cause.
    private func abortCopy(reason: String) async {
        do {
            try await self.onConnectionThread(cancellable: false) {
                guard let handle = self.handle, PQstatus(handle) == CONNECTION_OK else {
                    return
                }
                _ = PQputCopyEnd(handle, "aborted by client: \(reason.prefix(200))")
                self.drainResults(handle) { _ in }
            }
        } catch {
            self.logger.warning("aborting COPY failed", metadata: ["error": "\(error)"])
        }
    }

    /// Reads results until libpq says the command is complete. Stops on a result that is still
    /// in a COPY state, which would otherwise repeat forever on a confused session.
    private func drainResults(_ handle: OpaquePointer, _ each: (OpaquePointer) -> Void) {
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            each(result)
            PQclear(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                break
            }
        }
    }
}
