import Foundation
import Histogram
import Logging
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime

/// Event-to-alert latency, from the streams alone: an alert's entry id says
/// when anti-fraud added it, the entry id of the event that raised it says
/// when the generator added that; the difference is the time that event spent
/// in the platform until its alert was out. Both are Redis clocks at
/// millisecond resolution, so a figure is good to ±1 ms.
///
/// The event that raised an alert is not always the one it names (a velocity
/// alert names the earlier payments a later one completed), so it is found
/// by the alert's `account` and `detected_at`, the business time of the
/// raising event, which is unique per account in generated traffic.
public struct AlertLatency: Sendable {
    public struct Summary: Codable, Sendable {
        public var alerts: Int
        public var p50Milliseconds: UInt64
        public var p99Milliseconds: UInt64
        public var maxMilliseconds: UInt64
    }

    public struct Result: Codable, Sendable {
        /// Every alert of the run.
        public var all: Summary
        /// Alerts of the rules judged when the event arrives: all but the two
        /// absence-based rules, whose verdicts wait for the consumption
        /// watermark and a settle pass (`ANTI_FRAUD_SETTLE_INTERVAL_MS`).
        public var judgedOnArrival: Summary
        /// Alerts whose raising event is not in the range read.
        public var unmatched: Int
        /// Events in the range read, and the time between the first and last.
        public var events: Int
        public var eventSpanMilliseconds: UInt64
    }

    /// The rules whose verdicts are provisional until settled.
    static let settledRules: Set<String> = ["blocked_account_activity", "refund_abuse"]

    public var redis: RedisConfiguration
    public var logger: Logger

    public init(redis: RedisConfiguration, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    /// Measures the alerts after `alertsAfter` against the events after `eventsAfter`
    /// (exclusive ids; "0" for everything).
    public func measure(eventsAfter: String, alertsAfter: String) async throws -> Result {
        let connection = try await RedisConnection.connect(configuration: self.redis, logger: self.logger)
        do {
            let result = try await self.measure(connection, eventsAfter: eventsAfter, alertsAfter: alertsAfter)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    private func measure(_ connection: RedisConnection, eventsAfter: String, alertsAfter: String) async throws -> Result {
        var addedAt: [String: UInt64] = [:]
        var events = 0
        try await connection.forEachEntry(of: StreamNames.events, after: eventsAfter, pageSize: 10_000) { entry in
            events += 1
            if let account = entry[field: "account"], let occurredAt = entry[field: "occurred_at"] {
                addedAt[account + " " + occurredAt] = addedAt[account + " " + occurredAt] ?? entry.id.milliseconds
            }
        }
        var all = EntryLatencyHistograms.makeHistogram()
        var onArrival = EntryLatencyHistograms.makeHistogram()
        var unmatched = 0
        try await connection.forEachEntry(of: StreamNames.alerts, after: alertsAfter, pageSize: 10_000) { entry in
            guard let account = entry[field: "account"], let detectedAt = entry[field: "detected_at"],
                let eventAddedAt = addedAt[account + " " + detectedAt]
            else {
                if unmatched == 0 {
                    self.logger.warning("no event raised this alert in the range read", metadata: ["alert": "\(entry.id)"])
                }
                unmatched += 1
                return
            }
            let latency = entry.id.milliseconds >= eventAddedAt ? entry.id.milliseconds - eventAddedAt : 0
            _ = all.record(latency)
            if !Self.settledRules.contains(entry[field: "rule"] ?? "") {
                _ = onArrival.record(latency)
            }
        }
        let span = (addedAt.values.max() ?? 0) - (addedAt.values.min() ?? 0)
        return Result(
            all: Self.summary(all), judgedOnArrival: Self.summary(onArrival), unmatched: unmatched,
            events: events, eventSpanMilliseconds: span
        )
    }

    static func summary(_ histogram: Histogram<UInt64>) -> Summary {
        Summary(
            alerts: Int(histogram.totalCount),
            p50Milliseconds: histogram.valueAtPercentile(50),
            p99Milliseconds: histogram.valueAtPercentile(99),
            maxMilliseconds: histogram.max
        )
    }
}
