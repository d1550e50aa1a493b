import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// The `analytics` group's handler: decodes entries of the three streams and
/// records each batch with ``FactRecorder`` (one statement: facts plus the
/// aggregates of the facts that were new).
///
/// Failures are the runtime's: a PostgreSQL outage is thrown and the same
/// batch retried (the statement's atomicity makes the retry exact); a value
/// PostgreSQL refuses (an `occurred_at` in year 0, which decodes but is no
/// PostgreSQL time) is thrown too, and the runtime halves the batch until
/// the refused entry is alone, so its neighbours are recorded and acked.
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
        FactMetrics.record(try await self.recorder.record(batch))
        return batch.outcomes(.done)
    }
}
