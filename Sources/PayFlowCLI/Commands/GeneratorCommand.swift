import ArgumentParser
import Logging
import PayFlowGenerator
import PayFlowGeneratorAPI
import PayFlowRuntime

/// `payflow generator`: the traffic source with its REST API. It starts
/// stopped unless `--start` is given; the API (or `--start`) sets it going.
struct GeneratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generator",
        abstract: "Run the event generator and its REST API (default 127.0.0.1:8080)."
    )

    @Flag(help: "Start generating at once instead of waiting for POST /v1/generator/start.")
    var start = false

    @Option(help: "Events per second (default 1000).")
    var rate: Double?

    @Flag(help: "Generate as fast as possible (pipelined batches), ignoring --rate.")
    var unlimited = false

    @Option(help: "Stop after this many events.")
    var total: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Seed of the simulation (default: random, shown in GET /v1/generator).")
    var seed: UInt64?

    @Option(help: "Number of simulated accounts (default 10000).")
    var accounts: Int?

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.generator")
        let environment = context.environment
        var configuration = GeneratorConfiguration()
        configuration.eventsPerSecond = self.unlimited ? nil : (self.rate ?? configuration.eventsPerSecond)
        configuration.totalEvents = self.total
        configuration.durationSeconds = self.duration
        configuration.seed = self.seed
        configuration.accounts = self.accounts ?? configuration.accounts
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }

        let maxLength = try environment.integer("STREAM_MAXLEN", default: 1_000_000, in: 0...Int.max)
        let maxLag = try environment.integer("GENERATOR_MAX_LAG", default: 100_000, in: 0...Int.max)
        let settings = Generator.Settings(
            redis: try environment.redisConfiguration(),
            databaseURL: try environment.databaseURL(),
            streamMaxLength: maxLength == 0 ? nil : maxLength,
            maxLag: maxLag == 0 ? nil : maxLag
        )
        let adminToken = environment.values["ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let address = try environment.httpAddress(defaultPort: 8080)
        let registry = OperationsServer.bootstrapMetrics()

        let generator = Generator(configuration: configuration, settings: settings, logger: context.logger)
        let probe = HealthProbe(redis: settings.redis, databaseURL: settings.databaseURL, logger: context.logger)
        let router = OperationsServer.makeRouter(registry: registry, health: { await probe.report() })
        try GeneratorAPI(control: generator, adminToken: adminToken, logger: context.logger).register(on: router)
        if self.start {
            try await generator.start()
        }
        try await OperationsServer.run([generator], router: router, host: address.host, port: address.port, logger: context.logger)
    }
}
