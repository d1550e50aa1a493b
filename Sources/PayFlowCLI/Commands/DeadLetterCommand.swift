import ArgumentParser
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime

/// `payflow dlq replay <group> [--id ...]`: sends dead-lettered entries back
/// to their stream after the cause is fixed.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Work with the dead-letter streams (payflow:dlq:<group>).",
        subcommands: [Replay.self]
    )

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send dead-lettered entries of a group back to the stream they came from (all, or --id ...).",
            discussion: "Every group reading that stream receives the entry again; the services are idempotent by event id (reconciliation reports the second entry as duplicate_event)."
        )

        @Argument(help: "The consumer group whose dead-letter stream to replay (e.g. notification).")
        var group: String

        @Option(name: .customLong("id"), help: "A dead-letter entry id to replay; repeat for several. Default: every entry.")
        var ids: [String] = []

        func run() async throws {
            let parsed = try self.ids.map { text in
                guard let id = StreamEntryID(text) else { throw ValidationError("'\(text)' is not a stream entry id (ms-seq)") }
                return id
            }
            let context = try ProcessContext.bootstrap(label: "payflow.dlq", defaultLogLevel: .warning)
            let redis = try await RedisConnection.connect(configuration: try context.environment.redisConfiguration(), logger: context.logger)
            let stream = ConsumerGroupConfiguration.deadLetterStream(forGroup: self.group)
            do {
                let replayed = try await DeadLetterReplay(redis: redis).replay(deadLetterStream: stream, ids: parsed.isEmpty ? nil : parsed)
                for entry in replayed {
                    print("\(stream) \(entry.deadLetterID) -> \(entry.stream) \(entry.newID)")
                }
                print("replayed \(replayed.count) entr\(replayed.count == 1 ? "y" : "ies") from \(stream)")
            } catch {
                await redis.close()
                throw error
            }
            await redis.close()
        }
    }
}
