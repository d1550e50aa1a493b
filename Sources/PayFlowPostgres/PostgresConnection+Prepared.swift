import CLibpq
import Foundation

extension PostgresConnection {
    /// ``query(_:_:)`` through a named prepared statement of this session: the first call
    /// prepares `sql` (`PQprepare`), every later call with the same text only binds and runs it
    /// (`PQexecPrepared`).
    ///
    /// Why: the services' hot statements are long data-modifying CTEs run once per batch.
    /// Sent unnamed, PostgreSQL parses, analyses and plans each one on every call, a few
    /// milliseconds of its CPU per batch for a statement that always has the same shape; a
    /// prepared one is parsed once, and after a few runs PostgreSQL keeps a generic plan when it
    /// costs no more than the custom ones (issue 13).
    ///
    /// `sql` must be a constant of the caller (one statement per text is kept for the session's
    /// life), with values only as `$n` parameters, never a text built per call, or the session
    /// would collect statements. A session that was reset (``readyHandle()``) has lost its
    /// statements; the cache is emptied with it and the next call prepares again.
    @discardableResult
    public func queryPrepared(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> PostgresQueryResult {
        let values = try Self.encode(parameters, for: sql)
        return try await self.onConnectionThread {
            let handle = try self.readyHandle()
            let name = try self.preparedStatementName(for: sql, handle: handle)
            let cStrings: [UnsafeMutablePointer<CChar>?] = values.map { value in value.flatMap { strdup($0) } }
            defer {
                for cString in cStrings {
                    free(cString)
                }
            }
            let pointers = cStrings.map { $0.map { UnsafePointer($0) } }
            let result = PQexecPrepared(handle, name, Int32(pointers.count), pointers, nil, nil, 0)
            return try self.consume(result, handle: handle, query: sql)
        }
    }

    /// The session's statement for `sql`, prepared now if it is not yet. On the connection
    /// thread only. Parameter types are left to the server, as for unnamed statements, so the
    /// casts in `sql` decide them.
    private func preparedStatementName(for sql: String, handle: OpaquePointer) throws -> String {
        if let name = self.preparedStatements[sql] {
            return name
        }
        self.preparedStatementCount += 1
        let name = "payflow_\(self.preparedStatementCount)"
        _ = try self.consume(PQprepare(handle, name, sql, 0, nil), handle: handle, query: sql)
        self.preparedStatements[sql] = name
        return name
    }
}
