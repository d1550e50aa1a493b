import Foundation

/// Renders a ``StreamsSnapshot`` as the plain-text tables of `payflow streams`.
/// With a previous snapshot it adds rates: entries added per second to each
/// stream, and entries processed (read and acked) per second by each group.
public struct StreamsTable: Sendable {
    public var current: StreamsSnapshot
    public var previous: StreamsSnapshot?

    public init(current: StreamsSnapshot, previous: StreamsSnapshot? = nil) {
        self.current = current
        self.previous = previous
    }

    public var rendered: String {
        var out: [String] = []
        let now = UInt64(max(0, self.current.takenAt.timeIntervalSince1970 * 1000))
        let seconds = self.previous.map { self.current.takenAt.timeIntervalSince($0.takenAt) }.flatMap { $0 > 0 ? $0 : nil }
        let previousLengths = Dictionary(
            (self.previous?.streams ?? []).map { ($0.name, $0.info?.length ?? 0) }, uniquingKeysWith: { $1 }
        )
        let previousRead = self.previous?.entriesRead ?? [:]
        let currentRead = self.current.entriesRead

        var streamRows = [["STREAM", "LENGTH", "ADDED/S", "FIRST ID", "LAST ID"]]
        for stream in self.current.streams {
            guard let info = stream.info else {
                streamRows.append([stream.name, "-", "-", "-", "-"])
                continue
            }
            let rate = seconds.map { Self.rate(Double(info.length - (previousLengths[stream.name] ?? info.length)) / $0) } ?? "-"
            streamRows.append([
                stream.name, "\(info.length)", rate,
                info.firstEntryID?.description ?? "-", info.lastEntryID?.description ?? "-",
            ])
        }
        out.append(Self.table(streamRows))

        var groupRows = [["STREAM", "GROUP", "CONSUMERS", "PENDING", "LAG", "DONE/S", "LAST DELIVERED", "OLDEST PENDING"]]
        for stream in self.current.streams {
            for group in stream.groups {
                let key = "\(stream.name)/\(group.info.name)"
                let rate = seconds.flatMap { seconds in
                    previousRead[key].map { Self.rate(Double((currentRead[key] ?? 0) - $0) / seconds) }
                } ?? "-"
                let age = group.oldestPendingID.map { Self.age(milliseconds: now > $0.milliseconds ? now - $0.milliseconds : 0) } ?? "-"
                groupRows.append([
                    stream.name, group.info.name, "\(group.info.consumers)", "\(group.info.pending)",
                    group.info.lag.map(String.init) ?? "?", rate, group.info.lastDeliveredID.description, age,
                ])
            }
        }
        out.append("")
        out.append(groupRows.count > 1 ? Self.table(groupRows) : "(no consumer groups yet)")

        var letterRows = [["DEAD-LETTER STREAM", "SIZE", "MOST COMMON REASONS (latest entries)"]]
        for letters in self.current.deadLetters {
            let reasons = letters.topReasons.map { "\($0.count)× \(Self.truncated($0.reason, 60))" }.joined(separator: "; ")
            letterRows.append([letters.stream, "\(letters.length)", reasons.isEmpty ? "-" : reasons])
        }
        out.append("")
        out.append(Self.table(letterRows))
        return out.joined(separator: "\n")
    }

    static func rate(_ perSecond: Double) -> String {
        perSecond >= 100 ? String(format: "%.0f", perSecond) : String(format: "%.1f", max(0, perSecond))
    }

    static func age(milliseconds: UInt64) -> String {
        let seconds = Double(milliseconds) / 1000
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        if seconds < 3600 { return String(format: "%.1f min", seconds / 60) }
        return String(format: "%.1f h", seconds / 3600)
    }

    static func truncated(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }

    /// Left-aligned columns, two spaces apart.
    static func table(_ rows: [[String]]) -> String {
        var widths: [Int] = []
        for row in rows {
            for (index, cell) in row.enumerated() {
                if index >= widths.count { widths.append(0) }
                widths[index] = max(widths[index], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
