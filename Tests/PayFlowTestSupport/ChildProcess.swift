import Foundation

/// Runs a child process (python, promtool, schemathesis, `scripts/local-servers`...) to its
/// end, or waits for one started elsewhere, without holding a thread of Swift's cooperative
/// pool.
///
/// Why: `swift test` runs the suites in parallel in one process, whose cooperative pool has
/// as many threads as cores (two in CI). `Process.waitUntilExit()` and
/// `FileHandle.readDataToEndOfFile()` block the thread they are called on for as long as
/// the child runs; called from async code, one of those two threads was gone for seconds,
/// and timing-sensitive tests elsewhere in the suite failed (a claim keep-alive renewal
/// that ran late, a webhook receiver that answered late, a sleeper that woke late). Here
/// the blocking waits happen on threads of the child's own, and the caller awaits a
/// continuation, so the pool keeps both its threads.
public enum ChildProcess {
    /// How the child ended and what it wrote.
    public struct Result: Sendable {
        public var status: Int32
        /// Standard output (with standard error interleaved when ``ErrorOutput/merged``).
        public var output: Data
        /// Standard error when ``ErrorOutput/separate``, else empty.
        public var errorOutput: Data

        public var outputText: String { String(decoding: self.output, as: UTF8.self) }
        public var errorText: String { String(decoding: self.errorOutput, as: UTF8.self) }
    }

    /// Where the child's standard error goes.
    public enum ErrorOutput: Sendable {
        /// Its own pipe, read at the same time as standard output (a child that fills one
        /// pipe while the other is being read to its end would otherwise stall for ever).
        case separate
        /// The same pipe as standard output, as `2>&1` in a shell.
        case merged
        /// `/dev/null`.
        case discarded
    }

    /// How long a cancelled child gets between SIGTERM and SIGKILL.
    static let terminationGrace: TimeInterval = 5

    /// Runs `executable` with `arguments` until it exits and returns its status and output.
    /// `input`, if any, is written to its standard input, which is then closed; without
    /// it, standard input is `/dev/null`. `environment` nil inherits this process's.
    ///
    /// Cancelling the calling task sends the child SIGTERM (SIGKILL 5 s later if it is
    /// still there), waits for it to end and throws `CancellationError`.
    public static func run(
        _ executable: URL,
        _ arguments: [String] = [],
        input: Data? = nil,
        environment: [String: String]? = nil,
        directory: URL? = nil,
        errorOutput: ErrorOutput = .separate
    ) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let standardInput = input.map { _ in Pipe() }
        process.standardInput = standardInput ?? FileHandle.nullDevice
        let standardOutput = Pipe()
        process.standardOutput = standardOutput
        let standardError: Pipe?
        switch errorOutput {
        case .separate:
            standardError = Pipe()
            process.standardError = standardError
        case .merged:
            standardError = nil
            process.standardError = standardOutput
        case .discarded:
            standardError = nil
            process.standardError = FileHandle.nullDevice
        }
        try Task.checkCancellation()
        try process.run()

        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
                let collector = Thread {
                    let helpers = DispatchGroup()
                    if let standardInput, let input {
                        Self.onThread(joining: helpers) {
                            // A child that exits without reading all of it makes this fail; what
                            // it did is in its status and output.
                            try? standardInput.fileHandleForWriting.write(contentsOf: input)
                            try? standardInput.fileHandleForWriting.close()
                        }
                    }
                    let errors = Shared(Data())
                    if let standardError {
                        Self.onThread(joining: helpers) {
                            errors.value = (try? standardError.fileHandleForReading.readToEnd()) ?? Data()
                        }
                    }
                    let output = (try? standardOutput.fileHandleForReading.readToEnd()) ?? Data()
                    helpers.wait()
                    process.waitUntilExit()
                    continuation.resume(returning: Result(status: process.terminationStatus, output: output, errorOutput: errors.value))
                }
                collector.start()
            }
        } onCancel: {
            Self.terminate(process)
        }
        try Task.checkCancellation()
        return result
    }

    /// Waits for `process`, launched elsewhere (a server, a browser), to exit and returns
    /// its status, polling with `Task.sleep` rather than blocking in `waitUntilExit()`.
    /// Throws `CancellationError` if the calling task is cancelled first.
    @discardableResult
    public static func waitForExit(of process: Process, every interval: Duration = .milliseconds(20)) async throws -> Int32 {
        while process.isRunning {
            try await Task.sleep(for: interval)
        }
        return process.terminationStatus
    }

    // MARK: - Threads of the child's own

    /// Runs `body` on a new thread (never one of the cooperative pool's) inside `group`.
    private static func onThread(joining group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        Thread {
            body()
            group.leave()
        }.start()
    }

    /// SIGTERM now, SIGKILL after ``terminationGrace`` if the child is still there: the
    /// collecting thread then sees the pipes close and the exit, and the caller resumes.
    private static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        Thread {
            let deadline = Date().addingTimeInterval(Self.terminationGrace)
            while process.isRunning, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.05)
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }.start()
    }
}
