import CLibpq
import Foundation
import Logging
import NIOPosix
import Synchronization

/// One PostgreSQL session over libpq, usable from async code without blocking Swift's
/// cooperative thread pool.
///
/// libpq's calls block (network round trips) and a `PGconn` must not be used from two threads
/// at once. Each connection therefore owns a `NIOThreadPool` with exactly one thread: every
/// libpq call is a job on that thread, which both keeps blocking work off the cooperative pool
/// and serializes access to the `PGconn`, with no lock.
///
/// Single statements from concurrent tasks are safe (they queue on the thread). Multi-step
/// work (``withTransaction(_:)``, ``copyIn(table:columns:rows:)``) assumes one task uses the
/// connection meanwhile; services use one connection per concurrent worker.
///
/// When the server goes away (restart, `pg_terminate_backend`), the call that notices throws a
/// retriable ``PostgresError`` (``PostgresError/isRetriable``); the next call runs `PQreset`
/// first, so the same object heals once PostgreSQL is back.
///
/// `@unchecked Sendable`: the mutable state (`handle`, `inTransaction`) and every use of the
/// `PGconn` pointer happen on the connection's single pool thread (see
/// ``onConnectionThread(cancellable:_:)``), except in `deinit`, when no job can be running
/// because every job holds a reference to `self`. `isClosed` is behind a `Mutex`.
public final class PostgresConnection: @unchecked Sendable {
    public let logger: Logger

    private let pool: NIOThreadPool
    private let conninfo: String
    private let noticeSink: PostgresNoticeSink
    private let isClosed = Mutex(false)

    /// The libpq connection; only touched on `pool`'s thread. Nil before connect and after close.
    var handle: OpaquePointer?
    /// The statements this session has prepared; only touched on `pool`'s thread, emptied
    /// whenever the session is reset.
    var preparedStatements = PreparedStatementCache(capacity: PostgresConnection.preparedStatementCapacity)
    /// Whether ``withTransaction(_:)`` has an open transaction; only touched on `pool`'s thread.
    /// While true, a broken connection is *not* reset, so the rest of the transaction body
    /// cannot silently run in autocommit mode on a fresh session.
    var inTransaction = false

    private init(conninfo: String, logger: Logger, pool: NIOThreadPool) {
        self.conninfo = conninfo
        self.logger = logger
        self.pool = pool
        self.noticeSink = PostgresNoticeSink(logger: logger)
    }

    deinit {
        // No job can be pending (each one retains `self`), so touching the handle here is safe.
        if let handle = self.handle {
            PQfinish(handle)
        }
        if !self.isClosed.withLock({ $0 }) {
            self.pool.shutdownGracefully { _ in }
        }
    }

    // MARK: - Lifecycle

    /// Connects to `url` (`postgres://user:pass@host:port/db`, as in `DATABASE_URL`).
    ///
    /// A malformed URL throws ``PostgresError/Code/badURL`` without touching the network; an
    /// unreachable server or bad credentials throw ``PostgresError/Code/connectionFailed``.
    public static func connect(url: String, logger: Logger) async throws -> PostgresConnection {
        try DatabaseURL.validate(url)
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let connection = PostgresConnection(conninfo: url, logger: logger, pool: pool)
        do {
            try await connection.onConnectionThread {
                try connection.openOnThread()
            }
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Closes the session and stops the connection's thread. Idempotent; later calls on the
    /// connection throw ``PostgresError/Code/connectionClosed``.
    public func close() async {
        let wasOpen = self.isClosed.withLock { isClosed in
            defer { isClosed = true }
            return !isClosed
        }
        guard wasOpen else {
            return
        }
        _ = try? await self.pool.runIfActive {
            if let handle = self.handle {
                PQfinish(handle)
                self.handle = nil
                self.logger.debug("postgres connection closed")
            }
        }
        try? await self.pool.shutdownGracefully()
    }

    // MARK: - Statements

    /// Runs one statement with `$1, $2, ...` placeholders bound to `parameters` (text format;
    /// `nil` is NULL). Values are never interpolated into the SQL.
    ///
    /// The statement is prepared on the server the first time this session runs its text, and
    /// only bound and executed after that (``PreparedStatementCache``), so pass texts that
    /// repeat: constants, with every value a parameter.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> PostgresQueryResult {
        try await self.query(sql, parameters, prepared: true)
    }

    /// ``query(_:_:)``, with `prepared: false` for a text built for one call (a multi-row
    /// `VALUES` list sized to its rows), which preparing would only evict a reused one for.
    func query(_ sql: String, _ parameters: [(any PostgresEncodable)?], prepared: Bool) async throws -> PostgresQueryResult {
        let values = try Self.encode(parameters, for: sql)
        return try await self.onConnectionThread {
            let handle = try self.readyHandle()
            let cStrings: [UnsafeMutablePointer<CChar>?] = values.map { value in value.flatMap { strdup($0) } }
            defer {
                for cString in cStrings {
                    free(cString)
                }
            }
            let pointers = cStrings.map { $0.map { UnsafePointer($0) } }
            guard prepared else {
                let result = PQexecParams(handle, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
                return try self.consume(result, handle: handle, query: sql)
            }
            return try self.executePreparedOnThread(sql, pointers, handle: handle)
        }
    }

    /// Runs SQL without parameters, possibly several `;`-separated statements (migrations),
    /// through `PQexec`. Never build `sql` from values; use ``query(_:_:)`` for those.
    public func execute(_ sql: String) async throws {
        _ = try await self.onConnectionThread {
            try self.execOnThread(sql)
        }
    }

    /// Whether the session is inside a transaction block right now (`PQtransactionStatus`).
    /// The migration runner uses it to catch a file that ran its own COMMIT.
    func isInTransactionBlock() async throws -> Bool {
        try await self.onConnectionThread {
            let status = PQtransactionStatus(try self.readyHandle())
            return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
        }
    }

    // MARK: - On the connection thread

    /// Runs `body` on the connection's own thread: the only place the `PGconn` is touched.
    ///
    /// `cancellable: false` is for clean-up steps (ROLLBACK, ending a COPY) that must run even
    /// when the calling task has been cancelled, or the session would be left mid-protocol.
    func onConnectionThread<T: Sendable>(
        cancellable: Bool = true,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        if self.isClosed.withLock({ $0 }) {
            throw Self.closedError
        }
        do {
            if cancellable {
                return try await self.pool.runIfActive(body)
            }
            return try await withCheckedThrowingContinuation { continuation in
                self.pool.submit { state in
                    guard case .active = state else {
                        continuation.resume(throwing: Self.closedError)
                        return
                    }
                    continuation.resume(with: Result(catching: body))
                }
            }
        } catch is CancellationError where self.isClosed.withLock({ $0 }) {
            // A stopped pool reports its refusal as cancellation; say what really happened.
            throw Self.closedError
        }
    }

    /// The handle, reconnected with `PQreset` first if the session broke since the last call.
    func readyHandle() throws -> OpaquePointer {
        guard let handle = self.handle else {
            throw Self.closedError
        }
        guard PQstatus(handle) != CONNECTION_OK else {
            return handle
        }
        if self.inTransaction {
            throw PostgresError(
                code: .connectionLost,
                message: "connection lost inside a transaction; the server rolled it back"
            )
        }
        self.logger.warning("postgres connection is broken; trying PQreset")
        // A new session holds none of the old one's prepared statements.
        self.preparedStatements.removeAll()
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(
                code: .connectionLost,
                message: "reconnecting failed: \(Self.errorMessage(of: handle))"
            )
        }
        try self.configureSession(handle)
        self.logger.notice("postgres connection re-established")
        return handle
    }

    /// Runs `sql` as a prepared statement of this session, preparing it first if the session
    /// has not yet (its name from ``PreparedStatementCache``).
    ///
    /// Two server answers make a kept statement unusable: its result type changed under it
    /// (a table's columns changed, SQLSTATE 0A000) or the session no longer has it (26000).
    /// Either drops it from the cache, so the caller's retry prepares it afresh.
    private func executePreparedOnThread(
        _ sql: String,
        _ values: [UnsafePointer<CChar>?],
        handle: OpaquePointer
    ) throws -> PostgresQueryResult {
        let name: String
        switch self.preparedStatements.lookUp(sql) {
        case .prepared(let preparedName):
            name = preparedName
        case .prepare(let newName, let evicting):
            if let evicting {
                self.deallocateOnThread(evicting, handle: handle)
            }
            do {
                _ = try self.consume(PQprepare(handle, newName, sql, 0, nil), handle: handle, query: sql)
            } catch {
                self.preparedStatements.forget(sql)
                throw error
            }
            name = newName
        }
        do {
            let result = PQexecPrepared(handle, name, Int32(values.count), values, nil, nil, 0)
            return try self.consume(result, handle: handle, query: sql)
        } catch let error as PostgresError where error.sqlState == "0A000" || error.sqlState == "26000" {
            self.preparedStatements.forget(sql)
            throw error
        }
    }

    /// Deallocates a statement evicted from the cache. On failure (an aborted transaction
    /// refuses every command) the statement stays on the server until the session ends;
    /// names are never reused, so it is only memory, not a wrong answer.
    private func deallocateOnThread(_ name: String, handle: OpaquePointer) {
        guard PQtransactionStatus(handle) != PQTRANS_INERROR else {
            return
        }
        do {
            _ = try self.execOnThread("DEALLOCATE \(name)")
        } catch {
            self.logger.debug("could not deallocate a prepared statement", metadata: ["statement": "\(name)", "error": "\(error)"])
        }
    }

    /// `PQexec` of parameterless SQL, result copied out.
    func execOnThread(_ sql: String) throws -> PostgresQueryResult {
        let handle = try self.readyHandle()
        return try self.consume(PQexec(handle, sql), handle: handle, query: sql)
    }

    /// Copies a finished statement's result into Swift values and frees it, or throws its error.
    func consume(_ result: OpaquePointer?, handle: OpaquePointer, query: String?) throws -> PostgresQueryResult {
        guard let result else {
            throw self.error(handle: handle, result: nil, query: query)
        }
        defer {
            PQclear(result)
        }
        let status = PQresultStatus(result)
        // An empty query (only whitespace or comments) is not a failure, as in psql.
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            throw self.error(handle: handle, result: result, query: query)
        }
        return Self.copyOut(result)
    }

    /// The error for a failed call: the server's SQLSTATE and message when there is a result,
    /// libpq's message otherwise; `.connectionLost` whenever the session is gone.
    func error(
        handle: OpaquePointer,
        result: OpaquePointer?,
        query: String?,
        code: PostgresError.Code = .queryFailed
    ) -> PostgresError {
        var sqlState: String?
        var message = Self.errorMessage(of: handle)
        if let result {
            sqlState = Self.field(result, "C")
            if let primary = Self.field(result, "M") {
                message = primary
                if let detail = Self.field(result, "D") {
                    message += " (detail: \(detail))"
                }
                if let hint = Self.field(result, "H") {
                    message += " (hint: \(hint))"
                }
            } else if let resultMessage = PQresultErrorMessage(result).map({ String(cString: $0) }),
                !resultMessage.isEmpty
            {
                message = resultMessage.trimmingTrailingNewlines()
            }
        }
        let lost = PQstatus(handle) != CONNECTION_OK
        return PostgresError(code: lost ? .connectionLost : code, message: message, sqlState: sqlState, query: query)
    }

    // MARK: - Private

    /// Statement texts a session keeps prepared; a service uses a few dozen at most.
    static let preparedStatementCapacity = 64

    private static let closedError = PostgresError(
        code: .connectionClosed,
        message: "the connection was closed with close()"
    )

    private func openOnThread() throws {
        guard let handle = PQconnectdb(self.conninfo) else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.errorMessage(of: handle)
            PQfinish(handle)
            throw PostgresError(code: .connectionFailed, message: "could not connect to PostgreSQL: \(message)")
        }
        self.handle = handle
        self.noticeSink.install(on: handle)
        try self.configureSession(handle)
        let host = PQhost(handle).map { String(cString: $0) } ?? "?"
        let port = PQport(handle).map { String(cString: $0) } ?? "?"
        let database = PQdb(handle).map { String(cString: $0) } ?? "?"
        self.logger.info("connected to postgres", metadata: ["host": "\(host)", "port": "\(port)", "database": "\(database)"])
    }

    /// Session settings, re-applied after every `PQreset`. The text codecs rely on three:
    /// UTF-8 text, ISO date output (what ``PostgresTimestamp`` parses) and UTC, so timestamps
    /// read the same from every process whatever the server's default time zone.
    ///
    /// `plan_cache_mode = force_custom_plan`: a prepared statement (``PreparedStatementCache``)
    /// is still planned for its actual arguments at every call, as an unnamed one is, so
    /// preparing saves parsing and analysis and never changes a plan. PostgreSQL's default
    /// would switch to a generic plan after five calls and keep it while the tables grow; in
    /// `make bench` that made reconciliation's batch statement six times dearer.
    ///
    /// `jit = off`: the platform's statements are batches of a few hundred rows that run in
    /// milliseconds. PostgreSQL compiles a statement whose estimated cost passes
    /// `jit_above_cost`, which a batch statement's passes whenever a table has no statistics
    /// yet (a fresh deployment's first minutes, a bench run); compiling took ~50 ms per call in
    /// `make bench`, several times what the statement then took to run, and is never repaid at
    /// this size.
    private func configureSession(_ handle: OpaquePointer) throws {
        guard PQsetClientEncoding(handle, "UTF8") == 0 else {
            throw self.error(handle: handle, result: nil, query: nil, code: .connectionFailed)
        }
        let sql = "SET DateStyle TO 'ISO, YMD'; SET TimeZone TO 'UTC'; SET plan_cache_mode TO force_custom_plan; SET jit TO off"
        _ = try self.consume(PQexec(handle, sql), handle: handle, query: sql)
    }

    private static func copyOut(_ result: OpaquePointer) -> PostgresQueryResult {
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let columns = PostgresColumns(
            names: (0..<columnCount).map { column in String(cString: PQfname(result, column)) }
        )
        var rows: [PostgresRow] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(nil)
                } else {
                    let bytes = UnsafeRawBufferPointer(
                        start: PQgetvalue(result, row, column),
                        count: Int(PQgetlength(result, row, column))
                    )
                    values.append(String(decoding: bytes, as: UTF8.self))
                }
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        let affected = PQcmdTuples(result).map { String(cString: $0) } ?? ""
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        return PostgresQueryResult(rows: rows, columns: columns, affectedRows: Int(affected), commandTag: tag)
    }

    private static func field(_ result: OpaquePointer, _ code: Unicode.Scalar) -> String? {
        guard let value = PQresultErrorField(result, Int32(code.value)) else {
            return nil
        }
        return String(cString: value)
    }

    private static func errorMessage(of handle: OpaquePointer) -> String {
        let message = PQerrorMessage(handle).map { String(cString: $0) } ?? ""
        return message.isEmpty ? "unknown libpq error" : message.trimmingTrailingNewlines()
    }

    /// Text forms of the parameters, made on the caller's side so only `Sendable` strings
    /// cross to the connection thread. PostgreSQL text cannot hold NUL, and libpq would
    /// silently cut the value there, so NUL is an error.
    static func encode(_ parameters: [(any PostgresEncodable)?], for sql: String) throws -> [String?] {
        try parameters.enumerated().map { index, parameter in
            guard let text = parameter?.postgresText else {
                return nil
            }
            if Self.containsNUL(text) {
                throw PostgresError(
                    code: .encoding,
                    message: "parameter $\(index + 1) contains a NUL byte, which PostgreSQL text cannot hold",
                    query: sql
                )
            }
            return text
        }
    }

    /// `memchr` over the string's bytes: a batch parameter is tens of
    /// kilobytes, and a byte-by-byte `contains` showed in the profile.
    private static func containsNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
    }
}
