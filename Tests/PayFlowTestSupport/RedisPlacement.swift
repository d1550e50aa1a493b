import Testing

/// Where a suite's Redis work goes: the test server, or the test cluster.
/// Issue 17 asks for the suites on both; a test takes it as an argument
/// (`@Test(arguments: RedisPlacement.allCases)`) and its fixture places its
/// streams and keys accordingly (on the cluster: three shards, one per
/// master).
public enum RedisPlacement: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case oneNode = "one node"
    case cluster
    public var testDescription: String { self.rawValue }
}
