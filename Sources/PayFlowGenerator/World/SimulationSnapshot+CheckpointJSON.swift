import PayFlowDomain

/// The snapshot (`generator_worlds.simulation`) written as its synthesized
/// `Codable` form, read back by ``SimulationSnapshot/decoded(_:)``.
extension SimulationSnapshot {
    /// `pendingJSON`, when given, spells the scheduled events it wrote for
    /// the previous snapshot again without encoding them (see
    /// ``PendingEventJSON``).
    func write(to json: inout CheckpointJSON, pendingJSON: inout PendingEventJSON?) throws(CheckpointJSONError) {
        json.beginObject()
        json.key("random")
        self.random.write(to: &json)
        json.key("clock")
        try self.clock.write(to: &json)
        json.key("blocked")
        json.beginArray()
        for index in self.blocked {
            json.integer(index)
        }
        json.endArray()
        json.key("pending")
        json.beginArray()
        if pendingJSON != nil {
            pendingJSON?.write(self.pending, to: &json)
        } else {
            for event in self.pending {
                event.write(to: &json)
            }
        }
        json.endArray()
        json.endObject()
    }
}

extension SeededRandom {
    func write(to json: inout CheckpointJSON) {
        json.beginObject()
        json.key("s0")
        json.integer(self.s0)
        json.key("s1")
        json.integer(self.s1)
        json.key("s2")
        json.integer(self.s2)
        json.key("s3")
        json.integer(self.s3)
        json.endObject()
    }
}

extension BusinessClock {
    func write(to json: inout CheckpointJSON) throws(CheckpointJSONError) {
        json.beginObject()
        json.key("now")
        json.timestamp(self.now)
        json.key("meanInterArrival")
        try json.double(self.meanInterArrival)
        json.key("debt")
        json.integer(self.debt)
        json.endObject()
    }
}
