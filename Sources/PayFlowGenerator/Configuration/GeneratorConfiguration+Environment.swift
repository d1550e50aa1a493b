import Foundation
import PayFlowRuntime

extension GeneratorConfiguration {
    /// The configuration `payflow generator` starts from: the defaults, with
    /// `GENERATOR_RATE`, `GENERATOR_TOTAL`, `GENERATOR_SEED` and
    /// `GENERATOR_ACCOUNTS` applied when set.
    ///
    /// A container is configured by its environment (compose's `env_file`),
    /// not by editing its command line, so these are what `.env` changes;
    /// the command's flags still win over them.
    public init(environment: Environment) throws(ConfigurationError) {
        self.init()
        // 0 = as fast as possible, like `--unlimited`.
        let rate = try environment.integer("GENERATOR_RATE", default: 200, in: 0...1_000_000)
        self.eventsPerSecond = rate == 0 ? nil : Double(rate)
        // 0 = no limit.
        let total = try environment.integer("GENERATOR_TOTAL", default: 0, in: 0...Int.max)
        self.totalEvents = total == 0 ? nil : total
        if let text = environment.values["GENERATOR_SEED"] {
            guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError(variable: "GENERATOR_SEED", problem: "must be a whole number ≥ 0, got '\(text)'")
            }
            self.seed = seed
        }
        self.accounts = try environment.integer("GENERATOR_ACCOUNTS", default: self.accounts, in: 10...1_000_000)
    }
}
