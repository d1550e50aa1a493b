import Foundation

public struct MissingBinary: Error, CustomStringConvertible {
    public var description: String
}

/// A real `payflow` process, started the way an operator starts one, so tests
/// can send it real signals.
public final class PayFlowProcess: Sendable {
    public let process: Process
    public let logFile: URL

    /// The `payflow` binary built next to this test bundle.
    public static func executable() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("payflow"),
            TestServers.repositoryRoot.appendingPathComponent(".build/debug/payflow"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw MissingBinary(description: "no payflow binary at \(candidates.map(\.path)); run `swift build` first (make test does)")
        }
        return found
    }

    public init(_ arguments: [String], environment: [String: String]) throws {
        self.process = Process()
        self.process.executableURL = try Self.executable()
        self.process.arguments = arguments
        self.process.currentDirectoryURL = TestServers.repositoryRoot
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        // A service connects as its own role, as deployed, never as the owner.
        if let subcommand = arguments.first, let role = ServiceRole(subcommand: subcommand) {
            if let url = merged["DATABASE_URL"] {
                merged["DATABASE_URL"] = role.databaseURL(from: url, environment: merged.merging(TestServers.serviceEnvironment) { old, _ in old })
            }
            if let url = merged["REDIS_URL"] {
                merged["REDIS_URL"] = role.redisURL(from: url, environment: merged.merging(TestServers.serviceEnvironment) { old, _ in old })
            }
        }
        self.process.environment = merged
        self.logFile = FileManager.default.temporaryDirectory.appendingPathComponent("payflow-test-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: self.logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: self.logFile)
        self.process.standardOutput = handle
        self.process.standardError = handle
        try self.process.run()
    }

    /// Runs a short command to completion and returns its exit status and output.
    public static func run(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
        let process = try PayFlowProcess(arguments, environment: environment)
        let status = try await process.waitForExit(timeout: .seconds(60))
        return (status, process.output)
    }

    public var output: String {
        (try? String(contentsOf: self.logFile, encoding: .utf8)) ?? ""
    }

    public func signal(_ signal: Int32) {
        kill(self.process.processIdentifier, signal)
    }

    /// Waits until the output shows `text` (a start-up line, say), so that a
    /// test's timing window opens when the process is ready, not when it was
    /// spawned: on a loaded machine start-up alone has taken a minute. Throws
    /// if the process exits first or `timeout` passes.
    public func waitForOutput(_ text: String, timeout: Duration = .seconds(180)) async throws {
        try await eventually("payflow \(self.process.arguments ?? []) to print '\(text)'", timeout: timeout, every: .milliseconds(50)) {
            if self.output.contains(text) { return true }
            guard self.process.isRunning else {
                throw TimedOut(what: "payflow \(self.process.arguments ?? []) to print '\(text)'; it exited with \(self.process.terminationStatus):\n\(self.output.suffix(3000))")
            }
            return false
        }
    }

    /// Waits for the process to exit and returns its status; kills it and
    /// throws if it outlives `timeout`.
    public func waitForExit(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            if ContinuousClock.now > deadline {
                self.signal(SIGKILL)
                throw TimedOut(what: "payflow \(self.process.arguments ?? []) to exit; output:\n\(self.output)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return self.process.terminationStatus
    }

    deinit {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: self.logFile)
    }
}
