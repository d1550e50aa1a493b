import Foundation
import Logging

/// A migration that ``MigrationRunner/run(on:)`` applied in this run.
public struct AppliedMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    /// FNV-1a 64 of the file, as recorded in `schema_migrations`.
    public let checksum: String
    public let duration: Duration
}

/// Applies `db/NNNN_description.sql` files in numeric order, each exactly once.
///
/// Bookkeeping lives in `schema_migrations (version, name, checksum, applied_at)`, created by
/// the runner itself so a fresh database needs nothing beforehand. Each file runs in its own
/// transaction together with its `schema_migrations` row: a failing migration leaves neither
/// half-applied schema nor a record claiming it ran. Files must therefore not contain
/// `BEGIN`/`COMMIT` or statements that refuse transactions (`CREATE INDEX CONCURRENTLY`).
///
/// Deploys start several processes at once, so the whole run holds a session-level
/// `pg_advisory_lock` with a fixed key on the caller's connection: a second runner waits,
/// then finds everything applied. The lock is released at the end (and by the server, should
/// the session die).
///
/// Editing an applied file is an error (checksum mismatch), not a silent no-op: the database
/// would otherwise differ from what the repository says it is.
public struct MigrationRunner: Sendable {
    /// The advisory lock key: "PayFlow" in ASCII. Fixed, so every process agrees on it.
    public static let advisoryLockKey: Int64 = 0x0050_6179_466c_6f77

    public let directory: URL
    public let logger: Logger

    public init(directory: URL, logger: Logger) {
        self.directory = directory
        self.logger = logger
    }

    /// Applies pending migrations and returns them in the order applied (empty when the
    /// database was up to date).
    @discardableResult
    public func run(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        // Read and validate the files before taking the lock: a bad file fails fast, holding nothing.
        let migrations = try Migration.load(from: self.directory)
        self.logger.debug("waiting for the migration lock", metadata: ["key": "\(Self.advisoryLockKey)"])
        try await connection.query("SELECT pg_advisory_lock($1)", [Self.advisoryLockKey])
        do {
            let applied = try await self.applyPending(migrations, on: connection)
            try await self.unlock(connection)
            return applied
        } catch {
            do {
                try await self.unlock(connection)
            } catch let unlockError {
                self.logger.warning("releasing the migration lock failed", metadata: ["error": "\(unlockError)"])
            }
            throw error
        }
    }

    // MARK: - Private

    private func applyPending(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [AppliedMigration] {
        try await connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        var recorded: [Int: String] = [:]
        for row in try await connection.query("SELECT version, checksum FROM schema_migrations").rows {
            recorded[try row.decode("version", as: Int.self)] = try row.decode("checksum", as: String.self)
        }
        let onDisk = Set(migrations.map(\.version))
        for version in recorded.keys.sorted() where !onDisk.contains(version) {
            self.logger.warning(
                "schema_migrations records a version with no file in the directory (newer code deployed?)",
                metadata: ["version": "\(version)", "directory": "\(self.directory.path)"]
            )
        }

        var applied: [AppliedMigration] = []
        for migration in migrations {
            if let checksum = recorded[migration.version] {
                guard checksum == migration.checksum else {
                    throw PostgresError(
                        code: .migration,
                        message: "migration \(migration.fileName) was changed after it was applied "
                            + "(recorded checksum \(checksum), file now \(migration.checksum)); "
                            + "restore the file and put the change in a new migration"
                    )
                }
                continue
            }
            applied.append(try await self.apply(migration, on: connection))
        }
        if applied.isEmpty {
            self.logger.info("database schema is up to date", metadata: ["migrations": "\(migrations.count)"])
        }
        return applied
    }

    private func apply(_ migration: Migration, on connection: PostgresConnection) async throws -> AppliedMigration {
        let clock = ContinuousClock()
        let start = clock.now
        try await connection.withTransaction { connection in
            do {
                try await connection.execute(migration.sql)
            } catch var error as PostgresError {
                error.message = "migration \(migration.fileName) failed: \(error.message)"
                error.query = nil
                throw error
            }
            guard try await connection.isInTransactionBlock() else {
                throw PostgresError(
                    code: .migration,
                    message: "migration \(migration.fileName) ended the runner's transaction itself; "
                        + "remove BEGIN/COMMIT from the file"
                )
            }
            try await connection.query(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                [migration.version, migration.name, migration.checksum]
            )
        }
        let duration = clock.now - start
        self.logger.info(
            "applied migration",
            metadata: ["version": "\(migration.version)", "file": "\(migration.fileName)", "duration": "\(duration)"]
        )
        return AppliedMigration(
            version: migration.version,
            name: migration.name,
            checksum: migration.checksum,
            duration: duration
        )
    }

    private func unlock(_ connection: PostgresConnection) async throws {
        try await connection.query("SELECT pg_advisory_unlock($1)", [Self.advisoryLockKey])
    }
}
