import Foundation
import PayFlowDomain
import PayFlowRuntime

extension GeneratorConfiguration {
    /// The configuration `payflow generator` starts from: the defaults, with
    /// `GENERATOR_RATE`, `GENERATOR_TOTAL`, `GENERATOR_SEED`,
    /// `GENERATOR_ACCOUNTS`, `GENERATOR_START_TIME` and `GENERATOR_PROFILE`
    /// applied when set.
    ///
    /// A container is configured by its environment (compose's `env_file`),
    /// not by editing its command line, so these are what `.env` changes;
    /// the command's flags still win over them. A seed and a start time
    /// together fix the events, so two runs can be compared.
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
        if let text = environment.values["GENERATOR_START_TIME"] {
            guard let start = EventTimestamp(rfc3339: text.trimmingCharacters(in: .whitespaces)) else {
                throw ConfigurationError(variable: "GENERATOR_START_TIME", problem: "must be an RFC 3339 UTC time like 2026-01-05T09:00:00Z, got '\(text)'")
            }
            self.startTime = start
        }
        if let text = environment.values["GENERATOR_PROFILE"] {
            guard let profile = TrafficProfile(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
                throw ConfigurationError(variable: "GENERATOR_PROFILE", problem: "must be realistic or clean, got '\(text)'")
            }
            self.profile = profile
        }
    }
}
