import Foundation
import PayFlowRedis
import PayFlowRuntime

/// Takes one ``DashboardSample``: the same figures the `/v1/stats` endpoints
/// answer (through the same handler, so the two cannot differ), plus per
/// group the rate of entries done and the age of the oldest pending entry.
///
/// Owned by ``DashboardFeed``'s loop alone, so its memory of the previous
/// sample (for rates) needs no lock.
struct DashboardSampler {
    let handler: AnalyticsAPIHandler
    let platform: AnalyticsAPI.PlatformSources
    private(set) var samples = 0
    /// Entries done (read minus pending) per group key at the previous
    /// sample, and when, in milliseconds: two samples give a rate.
    private var previousDone: [String: (done: Int, at: Int64)] = [:]
    private var detection: Components.Schemas.Detection?

    init(handler: AnalyticsAPIHandler, platform: AnalyticsAPI.PlatformSources) {
        self.handler = handler
        self.platform = platform
    }

    /// The sample carries the scores last read (``readDetection(into:)``),
    /// or none before the first read.
    mutating func sample(now: Date = Date()) async -> DashboardSample {
        self.samples += 1
        var errors: [String] = []
        let handler = self.handler
        let summary = await Self.part("summary", &errors) { try await handler.getSummary(.init()).ok.body.json }
        let alerts = await Self.part("alerts", &errors) { try await handler.getAlertStats(.init(query: .init(limit: 10))).ok.body.json }
        let mismatches = await Self.part("mismatches", &errors) { try await handler.getMismatchStats(.init(query: .init(limit: 10))).ok.body.json }
        let nowMilliseconds = Int64(now.timeIntervalSince1970 * 1000)
        let platform = self.platform
        let snapshot = await Self.part("groups", &errors) {
            try await platform.snapshot()
        }
        var groups: [DashboardGroup] = []
        var done: [String: (done: Int, at: Int64)] = [:]
        for stream in snapshot?.streams ?? [] {
            for group in stream.groups {
                var row = DashboardGroup(
                    stream: stream.name, group: group.info.name, consumers: group.info.consumers, pending: group.info.pending,
                    lag: group.info.lag, donePerSecond: nil,
                    oldestPendingAgeSeconds: group.oldestPendingID.map { Double(max(0, nowMilliseconds - Int64(clamping: $0.milliseconds))) / 1000 } ?? 0
                )
                if let read = group.info.entriesRead {
                    let entriesDone = read - group.info.pending
                    done[row.key] = (entriesDone, nowMilliseconds)
                    if let previous = self.previousDone[row.key], nowMilliseconds > previous.at {
                        row.donePerSecond = Double(max(0, entriesDone - previous.done)) * 1000 / Double(nowMilliseconds - previous.at)
                    }
                }
                groups.append(row)
            }
        }
        if snapshot != nil {
            self.previousDone = done
        }
        let point = DashboardHistory.Point(
            t: nowMilliseconds,
            g: Dictionary(groups.map { ($0.key, [$0.lag.map(Double.init), $0.donePerSecond, $0.oldestPendingAgeSeconds]) }) { first, _ in first }
        )
        return DashboardSample(
            takenAt: nowMilliseconds, summary: summary, alerts: alerts, mismatches: mismatches, detection: self.detection,
            groups: groups, point: point, errors: errors
        )
    }

    /// Reads the scores (whole-table reads, so only when a page shows them)
    /// into `sample` and keeps them for the samples after it.
    mutating func readDetection(into sample: inout DashboardSample) async {
        let handler = self.handler
        self.detection = await Self.part("detection", &sample.errors) { try await handler.getDetection(.init()).ok.body.json } ?? self.detection
        sample.detection = self.detection
    }

    /// One part of the sample; its failure is noted, not thrown, so the
    /// other parts still reach the page.
    private static func part<Value>(_ name: String, _ errors: inout [String], _ read: () async throws -> Value) async -> Value? {
        do {
            return try await read()
        } catch {
            errors.append("\(name): \(error)")
            return nil
        }
    }
}
