import Foundation
import PayFlowDomain

/// A simulated event as data, for the snapshot of a world: the realistic
/// profile schedules an episode's events hours ahead
/// (``TrafficSimulator/pending``), and a generator that stops before they are
/// due must find them again, or the next run would lose the rest of a
/// traveller's trip while its ground truth still counts it.
///
/// The event is kept as its stream fields and read back with the domain's
/// strict decoder, so the snapshot cannot hold an event the stream would not.
extension SimulatedEvent: Codable {
    private enum CodingKeys: String, CodingKey {
        case fields, ledger, emissions, labels
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let pairs = try container.decode([[String]].self, forKey: .fields)
        self.init(
            event: try PaymentEvent(fields: pairs.compactMap { $0.count == 2 ? (name: $0[0], value: $0[1]) : nil }),
            ledger: try container.decodeIfPresent(LedgerRecord.self, forKey: .ledger),
            emissions: try container.decode(Int.self, forKey: .emissions),
            labels: try container.decode([GroundTruthLabel].self, forKey: .labels)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.event.fields.map { [$0.name, $0.value] }, forKey: .fields)
        try container.encodeIfPresent(self.ledger, forKey: .ledger)
        try container.encode(self.emissions, forKey: .emissions)
        try container.encode(self.labels, forKey: .labels)
    }
}

extension LedgerRecord: Codable {
    private enum CodingKeys: String, CodingKey {
        case transactionID, account, type, amount, currency, occurredAtMicroseconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            transactionID: try container.decode(UUID.self, forKey: .transactionID),
            account: try container.decode(String.self, forKey: .account),
            type: try container.decode(EventType.self, forKey: .type),
            amount: try container.decode(Int64.self, forKey: .amount),
            currency: try container.decode(Currency.self, forKey: .currency),
            occurredAt: EventTimestamp(microsecondsSinceEpoch: try container.decode(Int64.self, forKey: .occurredAtMicroseconds))
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.transactionID, forKey: .transactionID)
        try container.encode(self.account, forKey: .account)
        try container.encode(self.type, forKey: .type)
        try container.encode(self.amount, forKey: .amount)
        try container.encode(self.currency, forKey: .currency)
        try container.encode(self.occurredAt.microsecondsSinceEpoch, forKey: .occurredAtMicroseconds)
    }
}

/// Labels as the two columns `generator_ground_truth` has (category and
/// name), plus which of the two fraud kinds it is.
extension GroundTruthLabel: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, name, transactionID, incidentID
    }

    private enum KindName: String, Codable {
        case fraud, inconsistency, adaptiveFraud, legitimate
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        let unknown = DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: "unknown label name \(name)")
        let kind: Kind
        switch try container.decode(KindName.self, forKey: .kind) {
        case .fraud:
            guard let pattern = FraudPattern.allCases.first(where: { $0.scenarioName == name }) else { throw unknown }
            kind = .fraud(pattern)
        case .inconsistency:
            guard let mismatch = MismatchKind(rawValue: name) else { throw unknown }
            kind = .inconsistency(mismatch)
        case .adaptiveFraud:
            guard let shape = AdaptiveFraud(rawValue: name) else { throw unknown }
            kind = .adaptiveFraud(shape)
        case .legitimate:
            guard let shape = HardNegative(rawValue: name) else { throw unknown }
            kind = .legitimate(shape)
        }
        self.init(
            kind: kind,
            transactionID: try container.decode(UUID.self, forKey: .transactionID),
            incidentID: try container.decodeIfPresent(UUID.self, forKey: .incidentID)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let kind: KindName = switch self.kind {
        case .fraud: .fraud
        case .inconsistency: .inconsistency
        case .adaptiveFraud: .adaptiveFraud
        case .legitimate: .legitimate
        }
        try container.encode(kind, forKey: .kind)
        try container.encode(self.name, forKey: .name)
        try container.encode(self.transactionID, forKey: .transactionID)
        try container.encodeIfPresent(self.incidentID, forKey: .incidentID)
    }
}
