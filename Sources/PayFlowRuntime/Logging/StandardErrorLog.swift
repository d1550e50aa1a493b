import Foundation
import Logging
import Synchronization

/// Standard error as the process's log handlers write it (text and JSON), with
/// batches: inside ``batch(_:)`` the lines the task logs are collected and
/// written with one `write(2)` when the batch ends, in the order they were
/// logged; outside one, each line is written at once, as before.
///
/// Why: the notification log channel delivers a batch as one line per
/// notification, and a `write(2)` per line was a system call per event (issue
/// 13 asks for one write per batch). The lines themselves do not change: each
/// is still formatted by its handler, one line per log call.
public enum StandardErrorLog {
    /// The batch the current task is in, if any.
    @TaskLocal private static var collector: Collector?

    /// Runs `body`, then writes what it logged in one write. Lines logged by
    /// other tasks meanwhile are written at once; a batch inside a batch
    /// adds to the outer one.
    public static func batch<Result>(_ body: () throws -> Result) rethrows -> Result {
        try Self.batch(writingWith: Self.writeNow, body)
    }

    /// ``batch(_:)`` writing with `write` (tests look at what it is given).
    static func batch<Result>(writingWith write: (String) -> Void, _ body: () throws -> Result) rethrows -> Result {
        if Self.collector != nil { return try body() }
        let collector = Collector()
        defer {
            let text = collector.take()
            if !text.isEmpty { write(text) }
        }
        return try Self.$collector.withValue(collector, operation: body)
    }

    /// Writes `text` (whole lines, newline included) now, or adds it to the
    /// current task's batch.
    public static func write(_ text: String) {
        if let collector = Self.collector {
            collector.append(text)
        } else {
            Self.writeNow(text)
        }
    }

    /// The handlers' stream: `StreamLogHandler` formats, this writes.
    public struct Stream: TextOutputStream, Sendable {
        public init() {}

        public mutating func write(_ string: String) {
            StandardErrorLog.write(string)
        }
    }

    private static func writeNow(_ text: String) {
        guard !text.isEmpty else { return }
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// A batch's lines. A task inside the batch may start child tasks that
    /// log too (they inherit the task local), hence the lock.
    private final class Collector: Sendable {
        private let text = Mutex("")

        func append(_ line: String) {
            self.text.withLock { $0 += line }
        }

        func take() -> String {
            self.text.withLock { text in
                defer { text = "" }
                return text
            }
        }
    }
}
