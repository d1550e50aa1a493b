import Foundation
import PayFlowPostgres
import PayFlowTestSupport
import Testing

@Suite("Migration runner")
struct MigrationRunnerTests {
    /// A temporary directory holding `files` (name → SQL), removed by the caller.
    static func directory(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("payflow-migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, sql) in files {
            try Data(sql.utf8).write(to: directory.appendingPathComponent(name))
        }
        return directory
    }

    static let threeMigrations = [
        "0001_accounts.sql": "CREATE TABLE accounts (id text PRIMARY KEY);",
        // Slow on purpose, so a second runner started at the same time has to wait for the lock.
        "0002_slow_balances.sql": """
            SELECT pg_sleep(0.5);
            CREATE TABLE balances (account_id text REFERENCES accounts (id), cents bigint NOT NULL);
            """,
        "0010_audit.sql": "CREATE TABLE audit (id bigint PRIMARY KEY); INSERT INTO audit VALUES (10);",
        "README.md": "not a migration: ignored",
    ]

    @Test("the repository's db/ migrations apply once; a second run applies nothing")
    func repositoryMigrationsAreIdempotent() async throws {
        try await TestDatabase.withFresh { _, connection in
            let runner = MigrationRunner(
                directory: TestServers.repositoryRoot.appendingPathComponent("db"),
                logger: TestValues.quietLogger
            )
            let first = try await runner.run(on: connection)
            #expect(first.map(\.version).first == 1)
            #expect(first.first?.name == "processed_events")
            try await connection.query(
                "INSERT INTO processed_events (consumer_group, event_id, stream, entry_id) VALUES ($1, $2, $3, $4)",
                ["ledger", "evt-1", "payments", "1-0"]
            )
            let second = try await runner.run(on: connection)
            #expect(second.isEmpty)
            // Tables intact: the row written between the runs is still there.
            let count = try await connection.query("SELECT count(*) FROM processed_events").rows[0]
            #expect(try count.decode(0, as: Int.self) == 1)
            let recorded = try await connection.query("SELECT count(*) FROM schema_migrations").rows[0]
            #expect(try recorded.decode(0, as: Int.self) == first.count)
        }
    }

    @Test("migrations apply in numeric order with their checksums recorded")
    func appliesInNumericOrder() async throws {
        let directory = try Self.directory(Self.threeMigrations)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestDatabase.withFresh { _, connection in
            let applied = try await MigrationRunner(directory: directory, logger: TestValues.quietLogger)
                .run(on: connection)
            #expect(applied.map(\.version) == [1, 2, 10])
            #expect(applied.map(\.name) == ["accounts", "slow_balances", "audit"])
            let rows = try await connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version").rows
            #expect(try rows.map { try $0.decode("checksum", as: String.self) } == applied.map(\.checksum))
            #expect(try rows.allSatisfy { try $0.decode("checksum", as: String.self).count == 16 })
            #expect(try rows.allSatisfy { abs(try $0.decode("applied_at", as: Date.self).timeIntervalSinceNow) < 300 })
        }
    }

    @Test("two runners started together on two connections apply each migration once, without error")
    func concurrentRunnersApplyOnce() async throws {
        let directory = try Self.directory(Self.threeMigrations)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestDatabase.withFresh { url, connection in
            let other = try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
            let runner = MigrationRunner(directory: directory, logger: TestValues.quietLogger)
            let result: Result<([AppliedMigration], [AppliedMigration]), any Error>
            do {
                async let first = runner.run(on: connection)
                async let second = runner.run(on: other)
                result = .success(try await (first, second))
            } catch {
                result = .failure(error)
            }
            await other.close()
            let (first, second) = try result.get()
            #expect((first + second).map(\.version).sorted() == [1, 2, 10])
            #expect(first.isEmpty || second.isEmpty)
            let audit = try await connection.query("SELECT count(*) FROM audit").rows[0]
            #expect(try audit.decode(0, as: Int.self) == 1)
            // The lock was released: a third run neither blocks nor applies anything.
            #expect(try await runner.run(on: connection).isEmpty)
            let locks = try await connection.query("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()").rows[0]
            #expect(try locks.decode(0, as: Int.self) == 0)
        }
    }

    @Test("editing an applied migration is a clear error")
    func changedChecksumIsAnError() async throws {
        let directory = try Self.directory(["0001_accounts.sql": "CREATE TABLE accounts (id text PRIMARY KEY);"])
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestDatabase.withFresh { _, connection in
            let runner = MigrationRunner(directory: directory, logger: TestValues.quietLogger)
            try await runner.run(on: connection)
            try Data("CREATE TABLE accounts (id text PRIMARY KEY, name text);".utf8)
                .write(to: directory.appendingPathComponent("0001_accounts.sql"))
            let error = await #expect(throws: PostgresError.self) {
                try await runner.run(on: connection)
            }
            #expect(error?.code == .migration)
            #expect(error?.message.contains("0001_accounts.sql was changed after it was applied") == true)
        }
    }

    @Test("a failing migration leaves neither its changes nor its record, and later files wait")
    func failingMigrationIsAtomic() async throws {
        let directory = try Self.directory([
            "0001_accounts.sql": "CREATE TABLE accounts (id text PRIMARY KEY);",
            "0002_broken.sql": "CREATE TABLE half_done (id int); SELECT no_such_column FROM accounts;",
            "0003_after.sql": "CREATE TABLE after (id int);",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestDatabase.withFresh { _, connection in
            let error = await #expect(throws: PostgresError.self) {
                try await MigrationRunner(directory: directory, logger: TestValues.quietLogger).run(on: connection)
            }
            #expect(error?.message.contains("0002_broken.sql") == true)
            #expect(error?.sqlState == "42703")
            let tables = try await connection.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name"
            ).rows
            #expect(try tables.map { try $0.decode(0, as: String.self) } == ["accounts", "schema_migrations"])
            let versions = try await connection.query("SELECT version FROM schema_migrations").rows
            #expect(try versions.map { try $0.decode(0, as: Int.self) } == [1])
        }
    }

    @Test("misnamed or duplicate migration files are refused before anything runs")
    func badFileNamesAreRefused() async throws {
        for files in [
            ["001-accounts.sql": "SELECT 1;"],
            ["0001_a.sql": "SELECT 1;", "1_b.sql": "SELECT 2;"],
        ] {
            let directory = try Self.directory(files)
            defer { try? FileManager.default.removeItem(at: directory) }
            try await TestDatabase.withFresh { _, connection in
                let error = await #expect(throws: PostgresError.self) {
                    try await MigrationRunner(directory: directory, logger: TestValues.quietLogger).run(on: connection)
                }
                #expect(error?.code == .migration)
                let exists = try await connection.query("SELECT to_regclass('schema_migrations') IS NULL").rows[0]
                #expect(try exists.decode(0, as: Bool.self))
            }
        }
    }
}
