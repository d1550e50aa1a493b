import ArgumentParser
import PayFlowGenerator
import PayFlowGeneratorAPI
import PayFlowRuntime

/// `payflow generator`: see ``GeneratorService``. It starts stopped unless
/// `--start` is given; the API (or `--start`) sets it going. The flags
/// override `GENERATOR_RATE`, `GENERATOR_TOTAL`, `GENERATOR_SEED` and
/// `GENERATOR_ACCOUNTS`, which is how compose's `.env` configures it.
struct GeneratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generator",
        abstract: "Run the event generator and its REST API (default 127.0.0.1:8080)."
    )

    @Flag(help: "Start generating at once instead of waiting for POST /v1/generator/start.")
    var start = false

    @Option(help: "Events per second (default GENERATOR_RATE, else 200).")
    var rate: Double?

    @Flag(help: "Generate as fast as possible (pipelined batches), ignoring --rate.")
    var unlimited = false

    @Option(help: "Stop after this many events (default GENERATOR_TOTAL, else no limit).")
    var total: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Seed of the simulation (default GENERATOR_SEED, else random, shown in GET /v1/generator).")
    var seed: UInt64?

    @Option(help: "Number of simulated accounts (default GENERATOR_ACCOUNTS, else 10000).")
    var accounts: Int?

    func run() async throws {
        var configuration: GeneratorConfiguration
        do {
            configuration = try GeneratorConfiguration(environment: Environment())
        } catch {
            throw ValidationError(error.description)
        }
        configuration.eventsPerSecond = self.unlimited ? nil : (self.rate ?? configuration.eventsPerSecond)
        configuration.totalEvents = self.total ?? configuration.totalEvents
        configuration.durationSeconds = self.duration
        configuration.seed = self.seed ?? configuration.seed
        configuration.accounts = self.accounts ?? configuration.accounts
        do {
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }
        let context = try ProcessContext.bootstrap(label: "payflow.generator", metrics: true)
        try await GeneratorService.make(context, configuration: configuration, start: self.start).run()
    }
}
