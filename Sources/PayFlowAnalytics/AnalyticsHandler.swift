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
/// - any other PostgreSQL error means the statement refuses some value (an
///   `occurred_at` in year 0, which decodes but is no PostgreSQL time).
///   Retrying the batch forever would not help, and failing it whole would
///   dead-letter its good entries with the bad one; so the batch is split in
///   halves, each recorded on its own (still one atomic statement each),
///   until the refused entries are alone. Those take the retry/dead-letter
///   path; the rest are recorded and acked.
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
            return batch.outcomes(.done)
        } catch where !HandlerFailure.isOutage(error) {
            // One entry PostgreSQL refuses must not fail its neighbours:
            // halve the batch until the refused entry is alone.
            guard batch.count > 1 else { return batch.outcomes(.retry(reason: "\(error)")) }
            let middle = batch.count / 2
            let first = try await self.handle(Array(batch[..<middle]))
            let second = try await self.handle(Array(batch[middle...]))
            return first.merging(second) { outcome, _ in outcome }
        }
    }
}
