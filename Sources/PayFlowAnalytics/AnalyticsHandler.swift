import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// The `analytics` group's handler: decodes entries of the three streams and
/// records each batch with ``FactRecorder`` (one statement: facts plus the
/// aggregates of the facts that were new).
///
/// Failures:
/// - a retriable PostgreSQL error (connection lost, deadlock, serialization
///   failure) is thrown: the runtime retries the same batch with backoff
///   without spending delivery attempts, and the statement's atomicity makes
///   the retry exact;
/// - any other PostgreSQL error (a value the schema refuses) cannot be fixed
///   by retrying the batch forever: the entries take the retry/dead-letter
///   path instead.
public struct AnalyticsHandler: ConsumerGroupHandler {
    public typealias Message = AnalyticsMessage

    let recorder: FactRecorder
    let streams: AnalyticsStreams

    public init(database: PostgresConnection, streams: AnalyticsStreams) {
        self.recorder = FactRecorder(database: database)
        self.streams = streams
    }

    public func decode(_ entry: StreamEntry) throws -> AnalyticsMessage {
        try self.streams.decode(entry)
    }

    public func handle(_ batch: [Delivery<AnalyticsMessage>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        do {
            FactMetrics.record(try await self.recorder.record(batch))
        } catch let error as PostgresError where !error.isRetriable {
            return batch.outcomes(.retry(reason: error.description))
        }
        return batch.outcomes(.done)
    }
}
