import Foundation
import PayFlowDomain
import PayFlowPostgres

/// How well the alerts match the generator's answer key: `fraud_alerts`
/// against `generator_ground_truth` (category `fraud`), which no service
/// reads while detecting.
///
/// Definitions, also printed with the figures:
/// - precision = alerted events labelled fraud (any scenario) / alerted events;
/// - incident recall = labelled incidents (one scenario run) with at least one
///   alerted event / labelled incidents;
/// - event recall = labelled fraud events with an alert / labelled fraud events.
/// Per rule: precision of that rule's alerts. Per scenario: recall by any rule,
/// and incident recall by the rule meant for it (the same ``FraudPattern``).
public struct FraudReport: Sendable, Equatable {
    public struct RuleLine: Sendable, Equatable {
        public var rule: String
        public var alertedEvents: Int
        public var labelledEvents: Int
        public var precision: Double? { FraudReport.ratio(self.labelledEvents, self.alertedEvents) }
    }

    public struct ScenarioLine: Sendable, Equatable {
        public var scenario: String
        public var incidents: Int
        public var detectedIncidents: Int
        public var detectedBySameRule: Int
        public var events: Int
        public var alertedEvents: Int
        public var incidentRecall: Double? { FraudReport.ratio(self.detectedIncidents, self.incidents) }
        public var eventRecall: Double? { FraudReport.ratio(self.alertedEvents, self.events) }
    }

    /// The generator run scored (`generator_runs.run_id`), or nil for all
    /// runs together.
    public var run: Int?
    public var rules: [RuleLine]
    public var scenarios: [ScenarioLine]
    /// Over all rules: distinct alerted events, and how many are labelled fraud.
    public var alertedEvents: Int
    public var labelledAlertedEvents: Int
    public var incidents: Int
    public var detectedIncidents: Int
    public var fraudEvents: Int
    public var alertedFraudEvents: Int

    public var precision: Double? { Self.ratio(self.labelledAlertedEvents, self.alertedEvents) }
    public var incidentRecall: Double? { Self.ratio(self.detectedIncidents, self.incidents) }
    public var eventRecall: Double? { Self.ratio(self.alertedFraudEvents, self.fraudEvents) }

    static func ratio(_ part: Int, _ whole: Int) -> Double? {
        whole == 0 ? nil : Double(part) / Double(whole)
    }

    // MARK: - Loading

    /// The latest generator run, or nil when no run is recorded.
    public static func latestRun(in database: PostgresConnection) async throws -> Int? {
        try await database.query("SELECT max(run_id) FROM generator_runs").rows.first?.decode(0, as: Int?.self)
    }

    /// Scores `run` only, or every alert and label when `run` is nil.
    ///
    /// A run's alerts are the alerts on the events it wrote to the ledger
    /// (`reference_transactions.run_id`), its labels those it wrote
    /// (`generator_ground_truth.run_id`). Scores per run keep a bad run from
    /// hiding in the total and the total from hiding in one run. An alert on
    /// an event without a ledger row (an injected `missing_in_reference`, an
    /// event injected through the API) counts over all runs only.
    public static func load(from database: PostgresConnection, run: Int? = nil) async throws -> FraudReport {
        let alerts = Self.alertsSource(run: run)
        let labels = run.map { "(SELECT * FROM generator_ground_truth WHERE run_id = \($0))" } ?? "generator_ground_truth"
        let rules = try await database.query(
            """
            SELECT a.rule, count(DISTINCT a.event_id) AS alerted,
                   count(DISTINCT a.event_id) FILTER (WHERE f.transaction_id IS NOT NULL) AS labelled
            FROM \(alerts) a
            LEFT JOIN (SELECT DISTINCT transaction_id FROM generator_ground_truth WHERE category = 'fraud') f
                   ON f.transaction_id = a.event_id
            GROUP BY a.rule ORDER BY a.rule
            """
        ).rows.map { row in
            RuleLine(
                rule: try row.decode("rule", as: String.self),
                alertedEvents: try row.decode("alerted", as: Int.self),
                labelledEvents: try row.decode("labelled", as: Int.self)
            )
        }
        let overall = try await Self.precisionCounts(from: database, run: run)
        let scenarioSQL = """
            SELECT g.name AS scenario,
                   count(DISTINCT g.incident_id) AS incidents,
                   count(DISTINCT g.incident_id) FILTER (WHERE EXISTS (
                       SELECT 1 FROM fraud_alerts a JOIN generator_ground_truth h ON h.transaction_id = a.event_id
                       WHERE h.incident_id = g.incident_id AND h.category = 'fraud')) AS detected,
                   count(DISTINCT g.incident_id) FILTER (WHERE EXISTS (
                       SELECT 1 FROM fraud_alerts a JOIN generator_ground_truth h ON h.transaction_id = a.event_id
                       WHERE h.incident_id = g.incident_id AND h.category = 'fraud'
                             AND \(Self.scenarioName(ofRule: "a.rule")) = g.name)) AS same_rule,
                   count(DISTINCT g.transaction_id) AS events,
                   count(DISTINCT g.transaction_id) FILTER (WHERE EXISTS (
                       SELECT 1 FROM fraud_alerts a WHERE a.event_id = g.transaction_id)) AS alerted
            FROM \(labels) g
            WHERE g.category = 'fraud'
            """
        let scenarios = try await database.query(scenarioSQL + " GROUP BY g.name ORDER BY g.name").rows.map { row in
            ScenarioLine(
                scenario: try row.decode("scenario", as: String.self),
                incidents: try row.decode("incidents", as: Int.self),
                detectedIncidents: try row.decode("detected", as: Int.self),
                detectedBySameRule: try row.decode("same_rule", as: Int.self),
                events: try row.decode("events", as: Int.self),
                alertedEvents: try row.decode("alerted", as: Int.self)
            )
        }
        let totals = try await database.query(
            """
            SELECT count(DISTINCT g.incident_id) AS incidents,
                   count(DISTINCT g.incident_id) FILTER (WHERE EXISTS (
                       SELECT 1 FROM fraud_alerts a JOIN generator_ground_truth h ON h.transaction_id = a.event_id
                       WHERE h.incident_id = g.incident_id AND h.category = 'fraud')) AS detected,
                   count(DISTINCT g.transaction_id) AS events,
                   count(DISTINCT g.transaction_id) FILTER (WHERE EXISTS (
                       SELECT 1 FROM fraud_alerts a WHERE a.event_id = g.transaction_id)) AS alerted
            FROM \(labels) g
            WHERE g.category = 'fraud'
            """
        ).rows[0]
        return FraudReport(
            run: run,
            rules: rules,
            scenarios: scenarios,
            alertedEvents: overall.alertedEvents,
            labelledAlertedEvents: overall.labelledAlertedEvents,
            incidents: try totals.decode("incidents", as: Int.self),
            detectedIncidents: try totals.decode("detected", as: Int.self),
            fraudEvents: try totals.decode("events", as: Int.self),
            alertedFraudEvents: try totals.decode("alerted", as: Int.self)
        )
    }

    /// The overall precision's two counts alone (alerted events, and those
    /// labelled fraud), for `run` or every run: what analytics' precision
    /// gauge reads every few seconds, without the per-scenario queries. The
    /// same statement as ``load(from:run:)``'s, so the two cannot disagree.
    public static func precisionCounts(from database: PostgresConnection, run: Int? = nil) async throws -> (alertedEvents: Int, labelledAlertedEvents: Int) {
        let row = try await database.query(Self.precisionCountsSQL(run: run)).rows[0]
        return (try row.decode("alerted", as: Int.self), try row.decode("labelled", as: Int.self))
    }

    /// The statement of ``precisionCounts(from:run:)``, whose plan a test reads.
    static func precisionCountsSQL(run: Int?) -> String {
        """
        SELECT count(DISTINCT a.event_id) AS alerted,
               count(DISTINCT a.event_id) FILTER (WHERE EXISTS (
                   SELECT 1 FROM generator_ground_truth g WHERE g.category = 'fraud' AND g.transaction_id = a.event_id
               )) AS labelled
        FROM \(Self.alertsSource(run: run)) a
        """
    }

    /// The alerts scored: all of them, or those on the ledger rows of `run`.
    /// Integers only ever: the run is an Int, not text.
    ///
    /// A run's alerts are found by looking each alert's ledger row up by its
    /// key (a scalar subquery, which PostgreSQL runs per alert), not by
    /// selecting the run's ledger rows: a run's ledger is every event it
    /// wrote, its alerts a few in a hundred of them, and analytics' gauge
    /// reads this every few seconds (issue 13: the join hashed the whole
    /// ledger, 200 ms per pass at 200,000 events and growing with the run).
    static func alertsSource(run: Int?) -> String {
        run.map {
            "(SELECT * FROM fraud_alerts f WHERE (SELECT r.run_id FROM reference_transactions r WHERE r.transaction_id = f.event_id) = \($0))"
        } ?? "fraud_alerts"
    }

    /// SQL that turns an alert's rule name into the scenario name of its
    /// ``FraudPattern`` (the two differ for velocity), built from the domain's
    /// list so the report cannot drift from it.
    static func scenarioName(ofRule column: String) -> String {
        let renamed = FraudPattern.allCases.filter { $0.ruleName != $0.scenarioName }
        return "(CASE \(column)" + renamed.map { " WHEN '\($0.ruleName)' THEN '\($0.scenarioName)'" }.joined() + " ELSE \(column) END)"
    }

    // MARK: - Text

    /// The report as printed by `payflow fraud-report`.
    public var rendered: String {
        func pct(_ value: Double?) -> String {
            guard let value else { return "   n/a" }
            return String(format: "%6.3f", value)
        }
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        func left(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
        }
        var lines: [String] = []
        lines.append("Fraud detection scored against generator_ground_truth (category 'fraud'), " + (self.run.map { "generator run \($0)" } ?? "all runs"))
        lines.append("  precision       = alerted events labelled fraud (any scenario) / alerted events")
        lines.append("  incident recall = labelled incidents with at least one alerted event / labelled incidents")
        lines.append("  event recall    = labelled fraud events with an alert / labelled fraud events")
        lines.append("")
        lines.append("Per rule              alerted  labelled  precision")
        for rule in self.rules {
            lines.append("  " + pad(rule.rule, 24) + left(rule.alertedEvents, 5) + left(rule.labelledEvents, 10) + "     " + pct(rule.precision))
        }
        lines.append("")
        lines.append("Per scenario          incidents  detected  by-same-rule  incident-recall  events  alerted  event-recall")
        for line in self.scenarios {
            lines.append(
                "  " + pad(line.scenario, 24) + left(line.incidents, 7) + left(line.detectedIncidents, 10)
                    + left(line.detectedBySameRule, 14) + "           " + pct(line.incidentRecall)
                    + left(line.events, 8) + left(line.alertedEvents, 9) + "        " + pct(line.eventRecall)
            )
        }
        lines.append("")
        lines.append("Overall: precision \(pct(self.precision)) (\(self.labelledAlertedEvents)/\(self.alertedEvents) alerted events)")
        lines.append("         incident recall \(pct(self.incidentRecall)) (\(self.detectedIncidents)/\(self.incidents) incidents)")
        lines.append("         event recall \(pct(self.eventRecall)) (\(self.alertedFraudEvents)/\(self.fraudEvents) fraud events)")
        return lines.joined(separator: "\n")
    }
}
