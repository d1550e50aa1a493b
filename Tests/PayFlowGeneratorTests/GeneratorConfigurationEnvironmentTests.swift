import PayFlowDomain
import PayFlowGenerator
import PayFlowRuntime
import Testing

/// `GENERATOR_*` is how a container's env file (compose's `env_file`)
/// configures the generator: each must land in the configuration, its
/// "off" value must mean off, and a wrong value must stop the start.
@Suite("Generator configuration from the environment")
struct GeneratorConfigurationEnvironmentTests {
    @Test func everyVariableReachesTheConfiguration() throws {
        let configuration = try GeneratorConfiguration(environment: Environment([
            "GENERATOR_RATE": "250", "GENERATOR_TOTAL": "20000", "GENERATOR_SEED": "20", "GENERATOR_ACCOUNTS": "1000",
            "GENERATOR_START_TIME": "2026-01-05T09:00:00Z", "GENERATOR_PROFILE": "clean",
        ]))
        #expect(configuration.eventsPerSecond == 250)
        #expect(configuration.totalEvents == 20000)
        #expect(configuration.seed == 20)
        #expect(configuration.accounts == 1000)
        #expect(configuration.startTime == EventTimestamp(rfc3339: "2026-01-05T09:00:00Z"))
        #expect(configuration.profile == .clean)
    }

    @Test func unsetOrZeroMeansTheDocumentedDefaults() throws {
        let unset = try GeneratorConfiguration(environment: Environment([:]))
        #expect(unset.eventsPerSecond == 200)
        #expect(unset.totalEvents == nil)
        #expect(unset.seed == nil)
        #expect(unset.accounts == GeneratorConfiguration().accounts)
        #expect(unset.startTime == nil)
        #expect(unset.profile == .realistic, "realistic traffic unless asked for the clean profile")
        let zero = try GeneratorConfiguration(environment: Environment(["GENERATOR_RATE": "0", "GENERATOR_TOTAL": "0"]))
        #expect(zero.eventsPerSecond == nil, "0 = as fast as possible")
        #expect(zero.totalEvents == nil, "0 = no limit")
    }

    @Test(arguments: [("GENERATOR_RATE", "fast"), ("GENERATOR_TOTAL", "-1"), ("GENERATOR_SEED", "x"), ("GENERATOR_ACCOUNTS", "5"),
                       ("GENERATOR_START_TIME", "yesterday"), ("GENERATOR_PROFILE", "noisy")])
    func aMalformedValueNamesItsVariable(variable: String, value: String) {
        #expect {
            try GeneratorConfiguration(environment: Environment([variable: value]))
        } throws: { error in
            (error as? ConfigurationError)?.variable == variable
        }
    }
}
