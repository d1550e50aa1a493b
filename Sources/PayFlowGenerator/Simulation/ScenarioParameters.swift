/// Optional knobs of an on-demand scenario (`POST /v1/scenarios/{name}`);
/// the scenarios themselves are the domain's ``FraudPattern``s.
public struct ScenarioParameters: Sendable, Equatable, Codable {
    /// The account to use (must exist in the population); nil picks one.
    public var account: String?
    /// How many events the pattern has, where the scenario has a count.
    public var count: Int?

    public init(account: String? = nil, count: Int? = nil) {
        self.account = account
        self.count = count
    }
}
