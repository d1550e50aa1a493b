import PayFlowDomain

/// A scheduled event in the snapshot (``SimulationSnapshot/pending``), written
/// as its `Codable` form (`SimulatedEvent+Codable.swift`): the stream fields
/// as `[name, value]` pairs, the ledger row, the emissions and the labels.
extension SimulatedEvent {
    func write(to json: inout CheckpointJSON) {
        json.beginObject()
        json.key("fields")
        json.beginArray()
        for field in self.event.fields {
            json.beginArray()
            json.string(field.name)
            json.string(field.value)
            json.endArray()
        }
        json.endArray()
        if let ledger = self.ledger {
            json.key("ledger")
            ledger.write(to: &json)
        }
        json.key("emissions")
        json.integer(self.emissions)
        json.key("labels")
        json.beginArray()
        for label in self.labels {
            label.write(to: &json)
        }
        json.endArray()
        json.endObject()
    }
}

extension LedgerRecord {
    func write(to json: inout CheckpointJSON) {
        json.beginObject()
        json.key("transactionID")
        json.uuid(self.transactionID)
        json.key("account")
        json.string(self.account)
        json.key("type")
        json.string(self.type.rawValue)
        json.key("amount")
        json.integer(self.amount)
        json.key("currency")
        json.string(self.currency.code)
        json.key("occurredAtMicroseconds")
        json.integer(self.occurredAt.microsecondsSinceEpoch)
        json.endObject()
    }
}

extension GroundTruthLabel {
    func write(to json: inout CheckpointJSON) {
        json.beginObject()
        json.key("kind")
        switch self.kind {
        case .fraud: json.string("fraud")
        case .inconsistency: json.string("inconsistency")
        case .adaptiveFraud: json.string("adaptiveFraud")
        case .legitimate: json.string("legitimate")
        }
        json.key("name")
        json.string(self.name)
        json.key("transactionID")
        json.uuid(self.transactionID)
        if let incidentID = self.incidentID {
            json.key("incidentID")
            json.uuid(incidentID)
        }
        json.endObject()
    }
}
