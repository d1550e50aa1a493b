/// A scenario is written by its ``FraudPattern/scenarioName`` wherever it is
/// data (the generator's `fraud_weights`, as a dictionary key): the same name
/// as `POST /v1/scenarios/{name}` and `generator_ground_truth.name`.
extension FraudPattern: Codable, CodingKeyRepresentable {
    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let pattern = FraudPattern(scenarioName: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown fraud scenario '\(name)'"))
        }
        self = pattern
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.scenarioName)
    }

    public var codingKey: any CodingKey {
        ScenarioKey(stringValue: self.scenarioName)
    }

    public init?<T: CodingKey>(codingKey: T) {
        self.init(scenarioName: codingKey.stringValue)
    }
}

/// The dictionary key of a scenario name.
private struct ScenarioKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        nil
    }
}
