import PayFlowDomain

/// Which simulated world a run continues: a seed, a population size and a
/// currency list fix every account's profile, and a number names the world
/// in `generator_worlds`.
///
/// A run on kept data continues the latest world when its configuration
/// fits it (same population and currencies, and the same seed or none), so
/// `make run` twice, a restart, a `kill -9` or a stop and start all carry on
/// the one history that anti-fraud and the ledger already hold. A
/// configuration that does not fit gets a new world whose accounts have their
/// own prefix (`w2-acc-000001`), since reusing `acc-…` ids for other people
/// would mix two histories on one account, which is what collapsed the
/// second run's precision in issue 18.
public struct WorldIdentity: Sendable, Equatable {
    public var world: Int
    public var seed: UInt64
    public var accounts: Int
    public var currencies: [Currency]

    public init(world: Int, seed: UInt64, accounts: Int, currencies: [Currency]) {
        self.world = world
        self.seed = seed
        self.accounts = accounts
        self.currencies = currencies
    }

    /// `acc-` for world 1 (the ids a fresh run has always had), `w<N>-acc-` after.
    public var accountPrefix: String {
        self.world == 1 ? "acc-" : "w\(self.world)-acc-"
    }

    /// Whether a run with this configuration continues the world.
    public func fits(_ configuration: GeneratorConfiguration) -> Bool {
        configuration.accounts == self.accounts
            && configuration.currencies == self.currencies
            && (configuration.seed == nil || configuration.seed == self.seed)
    }

    /// `generator_worlds.currencies`.
    var currencyList: String {
        self.currencies.map(\.code).joined(separator: ",")
    }
}
