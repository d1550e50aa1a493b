/// How a process writes its log lines: `text` for a person at a terminal,
/// `json` for a log collector (one object per line, so Loki, Vector or
/// `jq` read fields instead of parsing prose). Set by `LOG_FORMAT`.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}

extension Environment {
    /// `LOG_FORMAT`: `text` (the default) or `json`.
    public func logFormat() throws(ConfigurationError) -> LogFormat {
        let text = try self.string("LOG_FORMAT", default: LogFormat.text.rawValue)
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            let formats = LogFormat.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(variable: "LOG_FORMAT", problem: "must be one of \(formats), got '\(text)'")
        }
        return format
    }
}
