import Foundation
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime

/// Puts demo entries on `payflow:events` so the demo consumer has work
/// without the generator. Entries carry only an id and a type: they are
/// traffic for the runtime, not the payment event contract.
public enum DemoProducer {
    /// Appends `count` entries in pipelined batches of `batch`; returns how
    /// long it took.
    public static func append(count: Int, batch: Int, context: ProcessContext) async throws -> Duration {
        let redis = try context.environment.redisConfiguration()
        let maxLength = try context.environment.streamMaxLength()
        let connection = try await RedisConnection.connect(configuration: redis, logger: context.logger)
        let producer = StreamProducer(connection: connection, maxLength: maxLength)
        let clock = ContinuousClock()
        let start = clock.now
        var written = 0
        do {
            while written < count {
                let size = min(batch, count - written)
                try await producer.add((0..<size).map { _ in
                    StreamProducer.Message(stream: StreamNames.events, fields: [("id", UUID().lowercasedText), ("type", "demo")])
                })
                written += size
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        return clock.now - start
    }
}
