import Foundation
import Logging
import PayFlowPostgres

/// A fresh, empty PostgreSQL database per test.
///
/// Tests run in parallel against one server; giving each its own database (`CREATE DATABASE
/// payflow_test_<random hex>`) means no test ever sees another's tables or rows, and no test
/// needs cleanup logic beyond dropping its database.
public enum TestDatabase {
    /// Creates a database on ``TestServers/databaseURL()``'s server and connects to it.
    /// Returns the new database's URL (for a second connection) and an open connection.
    public static func makeFresh(logger: Logger) async throws -> (url: String, connection: PostgresConnection) {
        let serverURL = try await TestServers.databaseURL()
        let name = "payflow_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let admin = try await PostgresConnection.connect(url: serverURL, logger: logger)
        do {
            // Identifiers cannot be bound parameters; the name is ours and quoted anyway.
            try await admin.execute("CREATE DATABASE \(PostgresIdentifier.quoted(name))")
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        let url = try self.url(serverURL, withDatabase: name)
        let connection = try await PostgresConnection.connect(url: url, logger: logger)
        return (url, connection)
    }

    /// Drops the database `url` points at, disconnecting anyone still using it
    /// (`WITH (FORCE)`, PostgreSQL 13+).
    public static func drop(url: String, logger: Logger) async throws {
        let name = try self.databaseName(in: url)
        let admin = try await PostgresConnection.connect(url: try await TestServers.databaseURL(), logger: logger)
        do {
            try await admin.execute("DROP DATABASE IF EXISTS \(PostgresIdentifier.quoted(name)) WITH (FORCE)")
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
    }

    /// Runs `body` with a fresh database, then closes the connection and drops the database,
    /// whether `body` succeeded or not (Swift has no `await` in `defer`).
    public static func withFresh<T>(
        logger: Logger = Logger(label: "payflow.test", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: (_ url: String, _ connection: PostgresConnection) async throws -> T
    ) async throws -> T {
        let (url, connection) = try await self.makeFresh(logger: logger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(url, connection))
        } catch {
            result = .failure(error)
        }
        await connection.close()
        try await self.drop(url: url, logger: logger)
        return try result.get()
    }

    // MARK: - URL surgery

    /// `serverURL` pointing at database `name` instead: the URI path for `postgres://` URLs,
    /// an appended `dbname=` (later keys win in libpq) for `key=value` strings.
    static func url(_ serverURL: String, withDatabase name: String) throws -> String {
        guard serverURL.hasPrefix("postgres://") || serverURL.hasPrefix("postgresql://") else {
            return serverURL + " dbname=" + name
        }
        guard var components = URLComponents(string: serverURL) else {
            throw TestServersError("TestDatabase: cannot parse DATABASE_URL as a URL")
        }
        components.path = "/" + name
        guard let url = components.string else {
            throw TestServersError("TestDatabase: cannot rebuild DATABASE_URL for database \(name)")
        }
        return url
    }

    static func databaseName(in url: String) throws -> String {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            guard let components = URLComponents(string: url), components.path.count > 1 else {
                throw TestServersError("TestDatabase: no database name in \(url)")
            }
            return String(components.path.dropFirst())
        }
        guard let pair = url.split(separator: " ").last(where: { $0.hasPrefix("dbname=") }) else {
            throw TestServersError("TestDatabase: no dbname= in the connection string")
        }
        return String(pair.dropFirst("dbname=".count))
    }
}
