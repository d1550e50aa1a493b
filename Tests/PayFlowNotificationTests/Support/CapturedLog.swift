import Logging
import PayFlowTestSupport

/// A swift-log handler that keeps every line, so a test can read what the log
/// channel wrote.
struct CapturingLogHandler: LogHandler {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let lines: Shared<[Line]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = self.metadata.merging(event.metadata ?? [:]) { _, new in new }
        let entry = Line(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" })
        self.lines.withLock { $0.append(entry) }
    }

    static func logger(into lines: Shared<[Line]>) -> Logger {
        Logger(label: "test.notification.log") { _ in CapturingLogHandler(lines: lines) }
    }
}
