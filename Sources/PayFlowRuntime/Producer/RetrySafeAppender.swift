import PayFlowRedis
import Synchronization

/// Appends batches to one stream so that a batch retried after a failure
/// lands once, not once per attempt.
///
/// A pipeline of `XADD`s cut by a broken connection (Redis restarted, a
/// network blip) leaves the writer not knowing which entries Redis applied.
/// Re-sending the whole batch, as an at-least-once producer does, puts the
/// applied ones on the stream twice. Readers that dedupe by id shrug that
/// off, but on `payflow:events` a second entry of an event *is* a finding
/// (reconciliation's `duplicate_event`), so the generator must never make one
/// by accident.
///
/// The appender remembers the last entry id it knows it wrote: its *floor*.
/// Every entry a later batch adds lands above the floor. After a failed
/// append, the next append first reads what the stream holds above the floor
/// and skips the messages it finds there, matched by a key field (the event
/// id), counting repeats: a batch that deliberately holds one key twice gets
/// both copies exactly once. That read costs one `XRANGE` after a failure and
/// nothing otherwise. Entries of other writers above the floor are simply not
/// matched.
///
/// One appender serves one writer: appends must not run concurrently. Two
/// appenders on one stream are fine as long as their keys differ.
public final class RetrySafeAppender: Sendable {
    public typealias Fields = [(name: String, value: String)]

    public let stream: String
    /// The field whose value identifies a message; messages without it are
    /// always sent (they cannot be recognised on the stream).
    public let keyField: String
    private let producer: StreamProducer
    private let state: Mutex<State>

    private struct State {
        /// The last id this appender knows it wrote, or the stream's top when
        /// it started; nil until first read.
        var floor: StreamEntryID?
        /// An append failed after it may have sent something.
        var lastAppendFailed = false
    }

    public init(producer: StreamProducer, stream: String, keyField: String) {
        self.producer = producer
        self.stream = stream
        self.keyField = keyField
        self.state = Mutex(State())
    }

    /// Appends `messages` in order and returns one entry id per message, in
    /// order; for a message a failed earlier attempt already wrote, the id of
    /// that entry.
    @discardableResult
    public func append(_ messages: [Fields]) async throws(RedisError) -> [StreamEntryID] {
        guard !messages.isEmpty else { return [] }
        let (knownFloor, lastAppendFailed) = self.state.withLock { ($0.floor, $0.lastAppendFailed) }
        let floor: StreamEntryID
        if let knownFloor {
            floor = knownFloor
        } else {
            floor = try await self.streamTop()
            self.state.withLock { $0.floor = floor }
        }

        var ids = [StreamEntryID?](repeating: nil, count: messages.count)
        do {
            if lastAppendFailed {
                try await self.recognise(messages, above: floor, into: &ids)
            }
            let missing = ids.indices.filter { ids[$0] == nil }
            if missing.isEmpty {
                // All there already: confirm they are replicated, as a new
                // XADD's round trip would have (REDIS_WAIT_REPLICAS).
                try await self.producer.awaitReplicas(of: self.stream)
            }
            let added = try await self.producer.add(missing.map { StreamProducer.Message(stream: self.stream, fields: messages[$0]) })
            for (index, id) in zip(missing, added) {
                ids[index] = id
            }
        } catch {
            self.state.withLock { $0.lastAppendFailed = true }
            throw error
        }
        let written = ids.compactMap { $0 }
        guard written.count == messages.count else {
            throw RedisError(.unexpectedReply, "XADD pipeline returned \(written.count) ids for \(messages.count) messages")
        }
        self.state.withLock { state in
            state.floor = max(floor, written.max() ?? floor)
            state.lastAppendFailed = false
        }
        return written
    }

    /// Appends a batch that an earlier *process* may have partly or wholly
    /// written: the messages found on the stream above `floor` (the last
    /// entry that process knew it wrote) are not sent again. This is the
    /// restart after a crash between a durable commit and its `XADD`s, where
    /// this appender's memory of the previous attempt died with the process.
    @discardableResult
    public func appendRecovering(_ messages: [Fields], above floor: StreamEntryID) async throws(RedisError) -> [StreamEntryID] {
        self.recogniseNextAppend(above: floor)
        return try await self.append(messages)
    }

    /// The floor: the last id this appender knows it wrote (read from the
    /// stream's top the first time).
    public func floor() async throws(RedisError) -> StreamEntryID {
        if let floor = self.state.withLock({ $0.floor }) { return floor }
        let top = try await self.streamTop()
        return self.state.withLock { state in
            if state.floor == nil { state.floor = top }
            return state.floor ?? top
        }
    }

    /// Makes the next append skip the messages the stream holds above
    /// `floor`. For a writer whose batch spans several appenders (one per
    /// shard): when one part failed, the parts that succeeded are sent again
    /// with the whole batch, and must be recognised from the floor they
    /// started from.
    public func recogniseNextAppend(above floor: StreamEntryID) {
        self.state.withLock { state in
            state.floor = floor
            state.lastAppendFailed = true
        }
    }

    /// Fills in the ids of the messages already on the stream above `floor`.
    /// A cut pipeline applies a prefix of the batch in order, so the k copies
    /// of a key found there are the first k messages carrying it.
    private func recognise(_ messages: [Fields], above floor: StreamEntryID, into ids: inout [StreamEntryID?]) async throws(RedisError) {
        var found = try await self.producer.client.withConnection(serving: self.stream) { connection throws(RedisError) in
            var found: [String: [StreamEntryID]] = [:]
            try await connection.forEachEntry(of: self.stream, after: floor.description, pageSize: 1000) { entry in
                if let key = entry[field: self.keyField] {
                    found[key, default: []].append(entry.id)
                }
            }
            return found
        }
        guard !found.isEmpty else { return }
        for (index, message) in messages.enumerated() {
            guard let key = message.first(where: { $0.name == self.keyField })?.value,
                  var copies = found[key], !copies.isEmpty else { continue }
            ids[index] = copies.removeFirst()
            found[key] = copies
        }
    }

    /// The id of the stream's last entry, or `0-0` when it is empty or absent.
    private func streamTop() async throws(RedisError) -> StreamEntryID {
        let last = try await self.producer.client.withConnection(serving: self.stream) { connection throws(RedisError) in
            try await connection.range(stream: self.stream, count: 1, reverse: true)
        }
        return last.first?.id ?? StreamEntryID(milliseconds: 0, sequence: 0)
    }
}
