import Metrics
import PayFlowPostgres
import PayFlowScoring

/// `payflow_fraud_precision{scope}` and `payflow_fraud_scored_alerts{scope}`:
/// the precision `payflow fraud-report` prints, for the current generator run
/// (`scope="current_run"`) and over all runs (`scope="all_runs"`), and how
/// many alerted events it is computed from, so that the alert rule
/// `FraudPrecisionDropping` (monitoring/alerts.yml) pages on a real drop and
/// not on a quiet start's first handful of alerts.
///
/// Why a periodic pass rather than per scrape: precision joins every alert
/// with the ground truth; computed every ``interval`` on a session of its
/// own, a scrape only reads two numbers and a slow count never queues behind
/// (or ahead of) the API's queries. Every replica computes the same values;
/// the rule aggregates over them.
///
/// A scope without scored alerts exports NaN: Prometheus reads it, and no
/// comparison with it is true, so nothing fires on it.
public struct FraudPrecisionGauge: Sendable {
    /// Every few seconds: fresh enough for a rule whose `for:` is minutes.
    public static let interval: Duration = .seconds(10)

    public enum Scope: String, Sendable, CaseIterable {
        case currentRun = "current_run"
        case allRuns = "all_runs"
    }

    /// A scope's figures, as exported.
    public struct Reading: Sendable, Equatable {
        public var scoredAlerts: Int
        public var labelledAlerts: Int

        public init(scoredAlerts: Int, labelledAlerts: Int) {
            self.scoredAlerts = scoredAlerts
            self.labelledAlerts = labelledAlerts
        }

        /// As `FraudReport.precision`: labelled / alerted events, nil with none.
        public var precision: Double? {
            self.scoredAlerts == 0 ? nil : Double(self.labelledAlerts) / Double(self.scoredAlerts)
        }
    }

    let database: PostgresConnection

    public init(database: PostgresConnection) {
        self.database = database
    }

    /// One pass: reads both scopes and sets the gauges. Returns what it set.
    @discardableResult
    public func update() async throws -> [Scope: Reading] {
        var readings: [Scope: Reading] = [:]
        let all = try await FraudReport.precisionCounts(from: self.database)
        readings[.allRuns] = Reading(scoredAlerts: all.alertedEvents, labelledAlerts: all.labelledAlertedEvents)
        if let run = try await FraudReport.latestRun(in: self.database) {
            let current = try await FraudReport.precisionCounts(from: self.database, run: run)
            readings[.currentRun] = Reading(scoredAlerts: current.alertedEvents, labelledAlerts: current.labelledAlertedEvents)
        } else {
            readings[.currentRun] = Reading(scoredAlerts: 0, labelledAlerts: 0)
        }
        for (scope, reading) in readings {
            let dimensions = [("scope", scope.rawValue)]
            Gauge(label: "payflow_fraud_precision", dimensions: dimensions).record(reading.precision ?? .nan)
            Gauge(label: "payflow_fraud_scored_alerts", dimensions: dimensions).record(reading.scoredAlerts)
        }
        return readings
    }
}
