import Foundation
import Synchronization

/// Addresses of the redis-server and PostgreSQL the integration tests run against.
///
/// `make test` and CI export `REDIS_URL` and `DATABASE_URL`; those are returned as they
/// are. Run any other way (`swift test`, an IDE), the first caller starts one throw-away
/// pair of servers for the whole test process with `scripts/local-servers start
/// --free-ports --throwaway --watch <pid> <tmpdir>`; every later or concurrent caller
/// gets the same pair. The script's watchdog stops the servers and deletes their
/// directory once this process exits, crash included, so nothing outlives the run.
public enum TestServers {
    /// `redis://127.0.0.1:PORT/0`: `REDIS_URL`, else the throw-away redis-server.
    public static func redisURL() async throws -> String {
        if let url = Self.environment("REDIS_URL") {
            return url
        }
        return try await Launcher.shared.servers().redisURL
    }

    /// `postgres://payflow@127.0.0.1:PORT/payflow`: `DATABASE_URL`, else the throw-away
    /// PostgreSQL.
    public static func databaseURL() async throws -> String {
        if let url = Self.environment("DATABASE_URL") {
            return url
        }
        return try await Launcher.shared.servers().databaseURL
    }

    /// `REDIS_URL_<SERVICE>` and `DATABASE_URL_<SERVICE>` of each service's Redis ACL
    /// user and PostgreSQL role (``ServiceRole``): from the environment with `REDIS_URL`
    /// (urls.env sourced, as `make test` does), else those of the throw-away servers.
    public static func serviceURLs() async throws -> [String: String] {
        if Self.environment("REDIS_URL") != nil {
            return Self.serviceVariables(of: ProcessInfo.processInfo.environment)
        }
        return try await Launcher.shared.servers().serviceURLs
    }

    /// What ``ServiceRole`` reads the services' credentials from by default: the
    /// process environment, plus the service URLs of the throw-away servers once they
    /// run (``redisURL()`` and ``databaseURL()`` start them, so every fixture that has a
    /// URL to rewrite has them).
    public static var serviceEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.merging(Launcher.launchedServiceURLs.withLock { $0 }) { $1 }
    }

    static func serviceVariables(of environment: [String: String]) -> [String: String] {
        environment.filter { $0.key.hasPrefix("REDIS_URL_") || $0.key.hasPrefix("DATABASE_URL_") }
    }

    /// The checkout this file was compiled from (holds `scripts/`, `db/`, `redis/`).
    public static var repositoryRoot: URL {
        // Tests/PayFlowTestSupport/TestServers.swift -> the repository root.
        let compiledRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: compiledRoot.appendingPathComponent("Package.swift").path) {
            return compiledRoot
        }
        // The sources moved since the build: `swift test` runs from the package root.
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    static func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            return nil
        }
        return value
    }
}

// MARK: - Errors

/// Why the throw-away servers could not be started.
public struct TestServersError: Error, CustomStringConvertible, Sendable {
    public var description: String

    init(_ description: String) {
        self.description = description
    }

    static let hint = """
        Install redis-server and PostgreSQL with `scripts/install-deps` (as root, Debian), \
        or run the tests with `make test`, or set REDIS_URL and DATABASE_URL to running servers.
        """
}

// MARK: - Starting the servers once per process

/// The URLs printed by `scripts/local-servers start`.
struct ServerURLs: Sendable {
    var redisURL: String
    var databaseURL: String
    /// `REDIS_URL_<SERVICE>` and `DATABASE_URL_<SERVICE>` lines, by variable name.
    var serviceURLs: [String: String]
}

/// Starts the servers at most once per process; concurrent callers await the same task.
///
/// A failure is remembered too: every test then reports the same error at once instead
/// of each trying (and waiting) again.
private actor Launcher {
    static let shared = Launcher()

    /// The service URLs of the servers started, for ``TestServers/serviceEnvironment``,
    /// which synchronous code reads.
    static let launchedServiceURLs = Mutex<[String: String]>([:])

    private var start: Task<ServerURLs, any Error>?

    func servers() async throws -> ServerURLs {
        if let start = self.start {
            return try await start.value
        }
        let start = Task { try await Self.launch() }
        self.start = start
        return try await start.value
    }

    private static func launch() async throws -> ServerURLs {
        let root = TestServers.repositoryRoot
        let script = root.appendingPathComponent("scripts/local-servers")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw TestServersError("TestServers: \(script.path) not found (repository root \(root.path)).")
        }
        let pid = ProcessInfo.processInfo.processIdentifier
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("payflow-test-servers-\(pid)-\(UUID().uuidString.prefix(8))")
        let arguments = [
            script.path, "start", "--free-ports", "--throwaway", "--watch", String(pid), directory.path,
        ]
        // The script waits for both servers (seconds); ChildProcess waits on threads of its own.
        let result: ChildProcess.Result
        do {
            result = try await ChildProcess.run(URL(fileURLWithPath: "/bin/bash"), arguments, directory: root)
        } catch let error as CancellationError {
            throw error
        } catch {
            throw TestServersError("TestServers: cannot run /bin/bash: \(error). \(TestServersError.hint)")
        }
        guard result.status == 0 else {
            throw TestServersError(
                """
                TestServers: `scripts/local-servers start` exited with status \(result.status):
                \(result.errorText.trimmingCharacters(in: .whitespacesAndNewlines))
                \(TestServersError.hint)
                """
            )
        }
        let urls = try parse(result.outputText)
        Self.launchedServiceURLs.withLock { $0 = urls.serviceURLs }
        return urls
    }

    static func parse(_ output: String) throws -> ServerURLs {
        var values: [String: String] = [:]
        for line in output.split(whereSeparator: \.isNewline) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard let redis = values["REDIS_URL"], let database = values["DATABASE_URL"] else {
            throw TestServersError(
                "TestServers: `scripts/local-servers start` printed no REDIS_URL/DATABASE_URL lines:\n\(output)"
            )
        }
        return ServerURLs(redisURL: redis, databaseURL: database, serviceURLs: TestServers.serviceVariables(of: values))
    }
}
