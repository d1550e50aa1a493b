import PayFlowRuntime
import Testing

@Suite("Configuration from the environment")
struct EnvironmentTests {
    @Test func usesDefaultsWhenNothingIsSet() throws {
        let configuration = try ConsumerGroupConfiguration(group: "g", streams: ["s"], environment: Environment([:]))
        #expect(configuration.batchSize == 256)
        #expect(configuration.block == .milliseconds(2000))
        #expect(configuration.maxDeliveries == 5)
        #expect(configuration.claimMinIdle == .seconds(30))
        #expect(configuration.deadLetterStream == "payflow:dlq:g")
        #expect(!configuration.consumerName.isEmpty)
    }

    @Test func readsEveryTuningVariable() throws {
        let environment = Environment([
            "STREAM_BATCH_SIZE": "64", "STREAM_BLOCK_MS": "250", "CLAIM_MIN_IDLE_MS": "1000",
            "CLAIM_INTERVAL_MS": "100", "MAX_DELIVERIES": "2", "GROUP_START_ID": "$", "CONSUMER_NAME": "replica-7",
        ])
        let configuration = try ConsumerGroupConfiguration(group: "g", streams: ["s"], environment: environment)
        #expect(configuration.batchSize == 64)
        #expect(configuration.block == .milliseconds(250))
        #expect(configuration.claimMinIdle == .seconds(1))
        #expect(configuration.claimInterval == .milliseconds(100))
        #expect(configuration.maxDeliveries == 2)
        #expect(configuration.startID == "$")
        #expect(configuration.consumerName == "replica-7")
    }

    @Test(arguments: [
        ("STREAM_BATCH_SIZE", "lots"), ("STREAM_BATCH_SIZE", "0"), ("MAX_DELIVERIES", "-1"),
        ("STREAM_BLOCK_MS", "1.5"), ("GROUP_START_ID", "beginning"), ("CONSUMER_NAME", ""),
    ])
    func rejectsMalformedValuesNamingTheVariable(variable: String, value: String) {
        do {
            _ = try ConsumerGroupConfiguration(group: "g", streams: ["s"], environment: Environment([variable: value]))
            Issue.record("\(variable)=\(value) should be rejected")
        } catch {
            #expect(error.variable == variable)
            #expect(error.description.hasPrefix(variable))
        }
    }

    @Test func rejectsABadRedisURLAndLogLevel() {
        #expect(throws: ConfigurationError.self) { try Environment(["REDIS_URL": "localhost:6379"]).redisConfiguration() }
        #expect(throws: ConfigurationError.self) { try Environment(["LOG_LEVEL": "loud"]).logLevel() }
        #expect(throws: ConfigurationError.self) { try Environment(["DATABASE_URL": "mysql://x"]).databaseURL() }
        #expect(throws: ConfigurationError.self) { try Environment(["HTTP_PORT": "70000"]).httpAddress(defaultPort: 8090) }
    }
}
