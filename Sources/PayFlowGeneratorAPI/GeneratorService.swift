import Logging
import PayFlowDomain
import PayFlowGenerator
import PayFlowRuntime

/// The generator process as one object graph: the ``Generator`` (the only
/// writer of the ledger and of `payflow:events`) and its REST API.
///
/// It lives beside the API rather than in `PayFlowGenerator` because the
/// process is both. `payflow generator` runs what ``make(_:configuration:start:)``
/// returns, and so do the tests.
public enum GeneratorService {
    public static let defaultPort = 8080

    /// Reads the settings (`.env.example`, generator section), and returns
    /// the process, ready to run. The generator connects to its stores when
    /// it runs, retrying until they answer, so this opens nothing.
    ///
    /// - Parameters:
    ///   - configuration: The first run's rate, mix, size and seed; the API
    ///     can change it later (`PUT /v1/generator/config`).
    ///   - start: Start generating at once instead of waiting for
    ///     `POST /v1/generator/start`.
    public static func make(
        _ context: ProcessContext,
        configuration: GeneratorConfiguration = GeneratorConfiguration(),
        start: Bool = false
    ) async throws -> PayFlowApplication {
        let environment = context.environment
        let settings = try Generator.Settings(environment: environment)
        // An empty `ADMIN_TOKEN=` counts as unset (see ``GeneratorAPI``). Unset,
        // the mutating endpoints refuse every request: `make run` and `make up`
        // generate a token (scripts/admin-token), anyone else sets one.
        let adminToken = environment.values["ADMIN_TOKEN"]
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort)

        let generator = Generator(configuration: configuration, settings: settings, logger: context.logger)
        // The platform's groups: the ones `payflow streams` lists and whose
        // DLQs the audit log reads. Replayed with the generator's Redis user,
        // whose ACL allows exactly this (redis/users.acl).
        let deadLetters = DeadLetterStreams(
            groups: ConsumerGroupName.platform.map(\.name), redis: settings.redis, shards: application.shards,
            cluster: application.makeRedisCluster(), logger: context.logger
        )
        try GeneratorAPI(control: generator, deadLetters: deadLetters, adminToken: adminToken, requiresToken: true, logger: context.logger)
            .register(on: application.router)
        if start {
            try await generator.start()
        }
        application.workers.append(generator)
        // The generator appends without MAXLEN; its process trims the stream
        // to what the groups still need.
        application.trimStreams([StreamTrimmer.Target(stream: StreamNames.events)])
        return application
    }
}
