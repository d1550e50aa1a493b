import Foundation
import Logging

/// Writes each log event as one JSON object on one line of standard error:
/// `time` (RFC 3339, UTC, milliseconds), `level`, `service` (the logger's
/// label), `consumer` and `group` when the logger carries them, `message`, and
/// the rest of the metadata under `metadata`.
///
/// Lifted to the top level are the fields an operator filters on first
/// ("everything consumer X of group Y said"); the rest stays nested so a
/// metadata key can never overwrite one of them. A line is written with one
/// `write(2)`, so lines from concurrent tasks never interleave.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    private let label: String
    private let write: @Sendable (String) -> Void

    /// `write` receives each line, newline included; standard error by default.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, write: @escaping @Sendable (String) -> Void = JSONLogHandler.writeToStandardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let metadata = event.metadata {
            merged.merge(metadata) { _, new in new }
        }
        var object: [String: Any] = [
            "time": Self.timestamp(Date()),
            "level": event.level.rawValue,
            "service": self.label,
            "message": event.message.description,
        ]
        for key in ["consumer", "group"] {
            if let value = merged.removeValue(forKey: key) {
                object[key] = Self.jsonValue(value)
            }
        }
        if !merged.isEmpty {
            object["metadata"] = merged.mapValues(Self.jsonValue)
        }
        self.write(Self.line(object))
    }

    /// One line: sorted keys, so the same event always prints the same bytes.
    static func line(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
              let text = String(data: data, encoding: .utf8)
        else {
            return #"{"level":"error","message":"unencodable log event"}"# + "\n"
        }
        return text + "\n"
    }

    static func jsonValue(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let array): array.map(Self.jsonValue)
        case .dictionary(let dictionary): dictionary.mapValues(Self.jsonValue)
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted))
    }

    /// Standard error through ``StandardErrorLog``: at once, or with the
    /// rest of the current task's batch.
    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        StandardErrorLog.write(line)
    }
}
