import Foundation
import Logging
import PayFlowPostgres
import PayFlowRedis

/// What every integration test stands on: a fresh PostgreSQL database with
/// the schema of `db/`, a Redis connection to the test's database from
/// ``RedisTestDatabase``, names no other test uses, and clean-up of all of it
/// whatever the outcome.
///
/// A suite's own fixture (how it builds its handlers and services, what it
/// reads back) wraps one of these rather than repeating the set-up and
/// tear-down.
public struct IntegrationFixture: Sendable {
    /// How the fresh database gets its schema.
    public enum Migration: Sendable {
        /// `MigrationRunner` in the test process: the quick way.
        case inProcess
        /// `payflow migrate --directory db` as a process, as an operator
        /// runs it: for the tests of `payflow` processes.
        case withTheBinary
    }

    /// Thrown when `payflow migrate` exits with a failure.
    public struct MigrationFailed: Error, CustomStringConvertible {
        public var description: String
    }

    public let redisDatabase: RedisTestDatabase
    public let redisConfiguration: RedisConfiguration
    public let redis: RedisConnection
    /// `REDIS_URL` for a child `payflow` process: this database.
    public let redisURL: String
    public let databaseURL: String
    /// Open on the fresh database; closed after the test.
    public let database: PostgresConnection
    /// Every name ``uniqueName(_:)`` handed out, deleted afterwards.
    private let names: Shared<[String]>

    /// Runs `body` against a fresh, migrated PostgreSQL database and Redis
    /// database `redisDatabase`, then cleans up, whether `body` succeeded or
    /// not: the PostgreSQL database is dropped; a database of the test's own
    /// is flushed (it is flushed before too, in case a crashed run left
    /// something), in ``RedisTestDatabase/shared`` the keys named with
    /// ``uniqueName(_:)`` or ``deleteAfterwards(_:)`` are deleted.
    public static func with<T>(
        redisDatabase: RedisTestDatabase = .shared,
        migration: Migration = .inProcess,
        _ body: (IntegrationFixture) async throws -> T
    ) async throws -> T {
        let redisConfiguration = try await redisDatabase.configuration()
        let redis = try await RedisConnection.connect(configuration: redisConfiguration)
        let names = Shared<[String]>([])
        let result: Result<T, any Error>
        do {
            if redisDatabase != .shared {
                try await redis.send(RedisCommand("FLUSHDB"))
            }
            result = .success(try await TestDatabase.withFresh(logger: Self.quietLogger) { url, database in
                try await Self.migrate(url: url, database: database, migration: migration)
                return try await body(IntegrationFixture(
                    redisDatabase: redisDatabase, redisConfiguration: redisConfiguration, redis: redis,
                    redisURL: redisDatabase.url(on: redisConfiguration), databaseURL: url, database: database, names: names
                ))
            })
        } catch {
            result = .failure(error)
        }
        if redisDatabase != .shared {
            _ = try? await redis.send(RedisCommand("FLUSHDB"))
        } else if !names.value.isEmpty {
            _ = try? await redis.send(RedisCommand("DEL", names.value))
        }
        await redis.close()
        return try result.get()
    }

    /// A name no other test uses (`prefix:<random>`), for a stream, a group
    /// or a key prefix, so tests can share one Redis database and run in
    /// parallel. A key of that name is deleted afterwards.
    public func uniqueName(_ prefix: String) -> String {
        let name = PayFlowTestSupport.uniqueName(prefix)
        self.names.withLock { $0.append(name) }
        return name
    }

    /// Keys to delete afterwards besides the unique names, e.g. a unique
    /// group's dead-letter stream.
    public func deleteAfterwards(_ keys: String...) {
        self.names.withLock { $0.append(contentsOf: keys) }
    }

    // MARK: - Schema

    static let quietLogger = Logger.quiet("test.fixture")

    private static func migrate(url: String, database: PostgresConnection, migration: Migration) async throws {
        switch migration {
        case .inProcess:
            try await MigrationRunner(directory: TestServers.repositoryRoot.appendingPathComponent("db"), logger: Self.quietLogger)
                .run(on: database)
        case .withTheBinary:
            let migrate = try await PayFlowProcess.run(["migrate", "--directory", "db"], environment: ["DATABASE_URL": url])
            guard migrate.status == 0 else {
                throw MigrationFailed(description: "migrate failed: \(migrate.output)")
            }
        }
    }
}
