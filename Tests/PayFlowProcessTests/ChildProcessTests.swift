import Foundation
import PayFlowTestSupport
import Testing

/// ``ChildProcess`` runs children to their end without holding a thread of
/// the cooperative pool, reads both pipes at once, feeds standard input, and
/// ends the child when the caller is cancelled. No servers needed.
@Suite("ChildProcess: children run off the cooperative pool")
struct ChildProcessTests {
    static let shell = URL(fileURLWithPath: "/bin/sh")

    /// More children than the pool has threads, each waiting until a task of
    /// this process releases it (a file appears), and that task only releases
    /// them once every child has started. Had each wait held a pool thread (as
    /// `waitUntilExit()` in async code did), the first children would hold
    /// every thread, the rest could not start, the releasing task could not
    /// run, and the children would give up after a minute with status 1. A
    /// deadlock, not a late tick: however busy the tests beside this one keep
    /// the machine, the non-blocking path only gets slower, never fails.
    @Test(.timeLimit(.minutes(4)))
    func childrenWaitedForLeaveThePoolToOtherTasks() async throws {
        let children = ProcessInfo.processInfo.activeProcessorCount + 2
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("payflow-children-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // $0 is the directory; 1200 rounds of 50 ms: a minute, then it gives up.
        let script = """
            touch "$0/started-$$"
            i=0
            while [ ! -e "$0/release" ]; do
                i=$((i + 1))
                [ "$i" -gt 1200 ] && exit 1
                sleep 0.05
            done
            echo released
            """
        let results = try await withThrowingTaskGroup(of: ChildProcess.Result?.self) { group in
            for _ in 0..<children {
                group.addTask { try await ChildProcess.run(Self.shell, ["-c", script, directory.path]) }
            }
            group.addTask {
                try await eventually("\(children) children to start", timeout: .seconds(150), every: .milliseconds(50)) {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
                    return names.filter { $0.hasPrefix("started-") }.count == children
                }
                _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("release").path, contents: nil)
                return nil
            }
            var results: [ChildProcess.Result] = []
            for try await result in group {
                if let result { results.append(result) }
            }
            return results
        }
        #expect(results.count == children)
        #expect(
            results.allSatisfy { $0.status == 0 && $0.outputText == "released\n" },
            "children that gave up waiting for a task of this process: \(results.filter { $0.status != 0 }.count) of \(children)"
        )
    }

    /// A child that fills its standard-error pipe (64 KiB) before writing
    /// anything to standard output stalls for ever if the pipes are read one
    /// after the other; read at once, both arrive whole.
    @Test(.timeLimit(.minutes(3)))
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
    @Test(.timeLimit(.minutes(3)))
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
    @Test(.timeLimit(.minutes(3)))
    func cancellationEndsTheChild() async throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("payflow-child-\(UUID().uuidString).pid")
        defer { try? FileManager.default.removeItem(at: pidFile) }
        let run = Task {
            try await ChildProcess.run(Self.shell, ["-c", "echo $$ > '\(pidFile.path)'; exec sleep 60"])
        }
        var pid: Int32?
        try await eventually("the child to write its pid") {
            pid = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid != nil
        }
        let cancelled = ContinuousClock.now
        run.cancel()
        await #expect(throws: CancellationError.self) { try await run.value }
        #expect(ContinuousClock.now - cancelled < .seconds(40), "the child's 60 s were waited out")
        let child = try #require(pid)
        #expect(kill(child, 0) != 0, "child \(child) still there after its caller was cancelled")
    }
}
