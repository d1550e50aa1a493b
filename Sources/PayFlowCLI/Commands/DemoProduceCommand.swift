import ArgumentParser
import Foundation
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime

/// Puts demo entries on `payflow:events` so the demo consumer has work before
/// the event generator exists. Entries carry only an id and a type: they are
/// traffic for the runtime, not the payment event contract.
struct DemoProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-produce",
        abstract: "Append demo entries to payflow:events (batched, pipelined XADD)."
    )

    @Option(help: "How many entries to append.")
    var count: Int = 1000

    @Option(help: "Entries per pipelined batch.")
    var batch: Int = 500

    func validate() throws {
        guard self.count > 0 else { throw ValidationError("--count must be positive") }
        guard (1...100_000).contains(self.batch) else { throw ValidationError("--batch must be between 1 and 100000") }
    }

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.demo-produce")
        let redis = try context.environment.redisConfiguration()
        let maxLength = try context.environment.integer("STREAM_MAXLEN", default: 1_000_000, in: 0...Int.max)
        let connection = try await RedisConnection.connect(configuration: redis, logger: context.logger)
        let producer = StreamProducer(connection: connection, maxLength: maxLength == 0 ? nil : maxLength)
        let clock = ContinuousClock()
        let start = clock.now
        var written = 0
        do {
            while written < self.count {
                let size = min(self.batch, self.count - written)
                try await producer.add((0..<size).map { _ in
                    StreamProducer.Message(stream: StreamNames.events, fields: [("id", UUID().uuidString.lowercased()), ("type", "demo")])
                })
                written += size
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        let elapsed = clock.now - start
        print("Appended \(written) entries to \(StreamNames.events) in \(elapsed)")
    }
}
