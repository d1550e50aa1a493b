import Foundation
import PayFlowDomain

/// The ground truth of an event injected over REST (`POST /v1/events`'s
/// `label`): written to `generator_ground_truth` with the event, so the
/// scores count an alert on it as a detection or as a false positive of a
/// known shape, as they do for the events the simulation makes.
///
/// Only the names the simulation itself labels with are accepted, so a
/// report's per-scenario lines stay the generator's vocabulary.
public struct EventLabel: Sendable, Equatable {
    public var kind: GroundTruthLabel.Kind
    /// Groups several injected events into one incident; nil: the event is
    /// an incident of its own (its id is the incident's).
    public var incidentID: UUID?

    public init(kind: GroundTruthLabel.Kind, incidentID: UUID? = nil) {
        self.kind = kind
        self.incidentID = incidentID
    }

    /// `fraud` with a scenario or adaptive-fraud name, or `legitimate` with a
    /// hard-negative name; anything else is refused, naming what is known.
    public init(category: String, name: String, incidentID: UUID? = nil) throws(GeneratorControlError) {
        switch category {
        case "fraud":
            if let pattern = FraudPattern(scenarioName: name) {
                self.init(kind: .fraud(pattern), incidentID: incidentID)
            } else if let shape = AdaptiveFraud(rawValue: name) {
                self.init(kind: .adaptiveFraud(shape), incidentID: incidentID)
            } else {
                let known = FraudPattern.allCases.map(\.scenarioName) + AdaptiveFraud.allCases.map(\.rawValue)
                throw .invalidParameter("label.name: unknown fraud name '\(name)'; known: \(known.joined(separator: ", "))")
            }
        case "legitimate":
            guard let shape = HardNegative(rawValue: name) else {
                let known = HardNegative.allCases.map(\.rawValue)
                throw .invalidParameter("label.name: unknown legitimate name '\(name)'; known: \(known.joined(separator: ", "))")
            }
            self.init(kind: .legitimate(shape), incidentID: incidentID)
        default:
            throw .invalidParameter("label.category: must be fraud or legitimate, got '\(category)'")
        }
    }

    /// The row for `generator_ground_truth`.
    func groundTruth(for transactionID: UUID) -> GroundTruthLabel {
        GroundTruthLabel(kind: self.kind, transactionID: transactionID, incidentID: self.incidentID ?? transactionID)
    }
}
