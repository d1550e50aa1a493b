import Foundation
import PayFlowTestSupport
import Testing

/// ``ChildProcess`` runs children to their end without holding a thread of
/// the cooperative pool, reads both pipes at once, feeds standard input, and
/// ends the child when the caller is cancelled. No servers needed.
@Suite("ChildProcess: children run off the cooperative pool")
struct ChildProcessTests {
    static let shell = URL(fileURLWithPath: "/bin/sh")

    /// More children than the pool has threads, each sleeping 4 s, while
    /// another task must tick every 100 ms: had each wait blocked a pool
    /// thread (as `waitUntilExit()` in async code did), every thread would be
    /// gone for 4 s and the ticker with them. The bound (2 s) is half the
    /// sleep: a loaded 2-core machine delays a tick, it does not stop it.
    @Test(.timeLimit(.minutes(2)))
    func childrenWaitedForDoNotStopOtherTasks() async throws {
        let children = ProcessInfo.processInfo.activeProcessorCount + 2
        let longestGap = Shared<Duration>(.zero)
        let outputs = try await withThrowingTaskGroup(of: ChildProcess.Result?.self) { group in
            group.addTask {
                var last = ContinuousClock.now
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    let now = ContinuousClock.now
                    longestGap.withLock { $0 = max($0, now - last) }
                    last = now
                }
                return nil
            }
            for _ in 0..<children {
                group.addTask { try await ChildProcess.run(Self.shell, ["-c", "sleep 4; echo slept"]) }
            }
            var results: [ChildProcess.Result] = []
            while results.count < children, let result = try await group.next() {
                if let result { results.append(result) }
            }
            group.cancelAll()
            return results
        }
        #expect(outputs.count == children)
        #expect(outputs.allSatisfy { $0.status == 0 && $0.outputText == "slept\n" })
        let gap = longestGap.value
        #expect(gap < .seconds(2), "a task that ticks every 100 ms waited \(gap) while \(children) children ran")
    }

    /// A child that fills its standard-error pipe (64 KiB) before writing
    /// anything to standard output stalls for ever if the pipes are read one
    /// after the other; read at once, both arrive whole.
    @Test(.timeLimit(.minutes(1)))
    func bothPipesAreReadAtOnce() async throws {
        let result = try await ChildProcess.run(
            Self.shell, ["-c", "head -c 1000000 /dev/zero >&2; head -c 300000 /dev/zero; exit 3"]
        )
        #expect(result.status == 3)
        #expect(result.errorOutput.count == 1_000_000)
        #expect(result.output.count == 300_000)
    }

    /// Standard input gets `input` whole, then end-of-file; `.merged` puts
    /// standard error into the output, as `2>&1` does.
    @Test(.timeLimit(.minutes(1)))
    func inputIsFedAndErrorsCanBeMerged() async throws {
        let input = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0) })
        let echoed = try await ChildProcess.run(URL(fileURLWithPath: "/bin/cat"), input: input)
        #expect(echoed.status == 0)
        #expect(echoed.output == input)

        let merged = try await ChildProcess.run(Self.shell, ["-c", "echo out; echo err >&2"], errorOutput: .merged)
        #expect(merged.outputText.contains("out") && merged.outputText.contains("err"))
        #expect(merged.errorOutput.isEmpty)
    }

    /// Cancelling the caller ends the child (SIGTERM) and throws
    /// `CancellationError`, rather than waiting out its minute.
    @Test(.timeLimit(.minutes(1)))
    func cancellationEndsTheChild() async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("payflow-child-\(UUID().uuidString).pid")
        defer { try? FileManager.default.removeItem(at: pidFile) }
        let started = ContinuousClock.now
        let run = Task {
            try await ChildProcess.run(Self.shell, ["-c", "echo $$ > '\(pidFile.path)'; exec sleep 60"])
        }
        var pid: Int32?
        try await eventually("the child to write its pid") {
            pid = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid != nil
        }
        run.cancel()
        await #expect(throws: CancellationError.self) { try await run.value }
        #expect(ContinuousClock.now - started < .seconds(30))
        let child = try #require(pid)
        #expect(kill(child, 0) != 0, "child \(child) still there after its caller was cancelled")
    }
}
