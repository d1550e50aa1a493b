import Foundation
import PayFlowDomain
import PayFlowGenerator

/// Per-rule precision and recall of one anti-fraud run over labelled traffic,
/// computed from the traffic's own labels (what the generator wrote to
/// `generator_ground_truth`) and the alert rows (what anti-fraud wrote to
/// `fraud_alerts`).
///
/// Definitions:
/// - precision of a rule = its alerted events labelled fraud / its alerted events;
/// - recall of a rule = incidents of the pattern it is meant for (the textbook
///   scenario of the same ``FraudPattern`` and the adaptive fraud that evades
///   it) with at least one event it alerted on / those incidents; shown apart
///   for the textbook and the adaptive incidents;
/// - false positives of a rule by cause: the hard negative the event belongs
///   to, or `unlabelled` for normal traffic.
struct DetectionScore {
    struct Rule {
        var pattern: FraudPattern
        var alerted = 0
        var fraud = 0
        var falsePositives: [String: Int] = [:]
        var textbookIncidents = 0
        var textbookDetected = 0
        var adaptiveIncidents = 0
        var adaptiveDetected = 0

        var precision: Double? { DetectionScore.ratio(self.fraud, self.alerted) }
        var recall: Double? { DetectionScore.ratio(self.textbookDetected + self.adaptiveDetected, self.textbookIncidents + self.adaptiveIncidents) }
        var textbookRecall: Double? { DetectionScore.ratio(self.textbookDetected, self.textbookIncidents) }
        var adaptiveRecall: Double? { DetectionScore.ratio(self.adaptiveDetected, self.adaptiveIncidents) }
    }

    var rules: [FraudPattern: Rule]
    var alertedEvents = 0
    var alertedFraudEvents = 0
    var incidents = 0
    var detectedIncidents = 0
    var transactions = 0
    var fraudTransactions = 0
    /// Alerted events labelled with neither fraud nor a hard negative.
    var unlabelledFalsePositives = 0
    /// Alerted events that a hard negative explains, by its name.
    var falsePositivesByHardNegative: [String: Int] = [:]
    /// Incidents per adaptive shape, and how many any rule caught.
    var adaptive: [AdaptiveFraud: (incidents: Int, detected: Int)] = [:]

    var precision: Double? { Self.ratio(self.alertedFraudEvents, self.alertedEvents) }
    var incidentRecall: Double? { Self.ratio(self.detectedIncidents, self.incidents) }

    /// The overall precision had fraud been as rare as in PaySim (0.129 % of
    /// transactions): the same share of each class alerted, fraud reweighted
    /// by the ratio of the odds.
    func precision(atFraudShare share: Double) -> Double? {
        guard self.fraudTransactions > 0, self.fraudTransactions < self.transactions, self.alertedEvents > 0 else { return nil }
        let observed = Double(self.fraudTransactions) / Double(self.transactions)
        let weight = (share / (1 - share)) / (observed / (1 - observed))
        let truePositives = Double(self.alertedFraudEvents) * weight
        return truePositives / (truePositives + Double(self.alertedEvents - self.alertedFraudEvents))
    }

    static func ratio(_ part: Int, _ whole: Int) -> Double? {
        whole == 0 ? nil : Double(part) / Double(whole)
    }

    init(traffic: [SimulatedEvent], alerts: [(event: UUID, rule: String)]) {
        var labels: [UUID: GroundTruthLabel] = [:]
        var incidentsOf: [UUID: GroundTruthLabel.Kind] = [:]
        for simulated in traffic {
            if simulated.event.type.isTransaction { self.transactions += 1 }
            for label in simulated.labels where label.category != "inconsistency" {
                labels[label.transactionID] = label
                if let incident = label.incidentID, label.category == "fraud" { incidentsOf[incident] = label.kind }
            }
        }
        self.fraudTransactions = labels.values.filter { $0.category == "fraud" }.count

        var rules: [FraudPattern: Rule] = [:]
        for pattern in FraudPattern.allCases { rules[pattern] = Rule(pattern: pattern) }
        var alertedBy: [UUID: Set<FraudPattern>] = [:]
        for alert in alerts {
            guard let pattern = FraudPattern(ruleName: alert.rule) else { continue }
            alertedBy[alert.event, default: []].insert(pattern)
        }
        for (event, patterns) in alertedBy {
            let label = labels[event]
            let isFraud = label?.category == "fraud"
            let cause = label.flatMap { $0.category == "legitimate" ? $0.name : nil } ?? "unlabelled"
            self.alertedEvents += 1
            if isFraud {
                self.alertedFraudEvents += 1
            } else if cause == "unlabelled" {
                self.unlabelledFalsePositives += 1
            } else {
                self.falsePositivesByHardNegative[cause, default: 0] += 1
            }
            for pattern in patterns {
                rules[pattern]!.alerted += 1
                if isFraud { rules[pattern]!.fraud += 1 } else { rules[pattern]!.falsePositives[cause, default: 0] += 1 }
            }
        }

        // Incidents: which rules alerted on any of their events.
        var detectors: [UUID: Set<FraudPattern>] = [:]
        for (event, label) in labels where label.category == "fraud" {
            guard let incident = label.incidentID else { continue }
            detectors[incident, default: []].formUnion(alertedBy[event] ?? [])
        }
        for (incident, kind) in incidentsOf {
            let caughtBy = detectors[incident] ?? []
            self.incidents += 1
            if !caughtBy.isEmpty { self.detectedIncidents += 1 }
            switch kind {
            case .fraud(let pattern):
                rules[pattern]!.textbookIncidents += 1
                if caughtBy.contains(pattern) { rules[pattern]!.textbookDetected += 1 }
            case .adaptiveFraud(let shape):
                rules[shape.evades]!.adaptiveIncidents += 1
                if caughtBy.contains(shape.evades) { rules[shape.evades]!.adaptiveDetected += 1 }
                var line = self.adaptive[shape] ?? (0, 0)
                line.incidents += 1
                if !caughtBy.isEmpty { line.detected += 1 }
                self.adaptive[shape] = line
            case .inconsistency, .legitimate:
                break
            }
        }
        self.rules = rules
    }
}
