/// A suite's own fixture built on an ``IntegrationFixture``: it stores the
/// base and adds what the suite needs (its stream names, how it builds its
/// handlers), while `fixture.redis`, `fixture.database`, `fixture.databaseURL`
/// and the rest read through to the base instead of being copied into every
/// suite's fixture.
@dynamicMemberLookup
public protocol IntegrationFixtureWrapper {
    var base: IntegrationFixture { get }
}

extension IntegrationFixtureWrapper {
    public subscript<Value>(dynamicMember keyPath: KeyPath<IntegrationFixture, Value>) -> Value {
        self.base[keyPath: keyPath]
    }
}
