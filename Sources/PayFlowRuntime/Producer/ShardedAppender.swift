import PayFlowRedis

/// A ``RetrySafeAppender`` per shard of one stream: each message goes to its
/// account's shard (`EVENT_SHARDS`), and a batch retried after a failure
/// still lands once.
///
/// The catch a single appender does not have: a batch spans shards, and one
/// shard's part may fail after another's succeeded. The caller retries the
/// whole batch, so every shard's part is sent again; each appender is
/// therefore told, on any failure, to recognise what its stream holds above
/// the floor it had before the batch.
///
/// One writer, as for ``RetrySafeAppender``: appends must not run
/// concurrently.
public struct ShardedAppender: Sendable {
    public typealias Fields = RetrySafeAppender.Fields

    public let stream: String
    public let shards: StreamShards
    /// The field whose value picks a message's shard (the account).
    public let shardField: String
    private let appenders: [RetrySafeAppender]

    /// `stream` unsharded (`payflow:events`); `keyField` identifies a message
    /// (the event id), `shardField` places it (the account).
    public init(producer: StreamProducer, stream: String, shards: StreamShards, keyField: String, shardField: String) {
        self.stream = stream
        self.shards = shards
        self.shardField = shardField
        self.appenders = shards.shards.map { RetrySafeAppender(producer: producer, stream: $0.name(stream), keyField: keyField) }
    }

    /// Appends `messages`, each on its shard, and returns one entry id per
    /// message, in order (ids of different shards are of different streams).
    @discardableResult
    public func append(_ messages: [Fields]) async throws(RedisError) -> [StreamEntryID] {
        try await self.append(messages, recognisingAbove: nil)
    }

    /// ``RetrySafeAppender/appendRecovering(_:above:)`` per shard: `floors`
    /// holds one floor per shard, as ``floors()`` returned them (missing
    /// ones: the stream's start).
    @discardableResult
    public func appendRecovering(_ messages: [Fields], above floors: [StreamEntryID]) async throws(RedisError) -> [StreamEntryID] {
        try await self.append(messages, recognisingAbove: floors)
    }

    /// Every shard's floor, in shard order: what a checkpoint stores so that
    /// a restarted process can recover a batch (``appendRecovering(_:above:)``).
    public func floors() async throws(RedisError) -> [StreamEntryID] {
        var floors: [StreamEntryID] = []
        for appender in self.appenders {
            floors.append(try await appender.floor())
        }
        return floors
    }

    private func append(_ messages: [Fields], recognisingAbove recovered: [StreamEntryID]?) async throws(RedisError) -> [StreamEntryID] {
        guard !messages.isEmpty else { return [] }
        var parts: [Int: [Int]] = [:]
        for (index, message) in messages.enumerated() {
            let account = message.first(where: { $0.name == self.shardField })?.value ?? ""
            parts[self.shards.shard(ofAccount: account).index, default: []].append(index)
        }
        var before: [Int: StreamEntryID] = [:]
        for shard in parts.keys {
            if let recovered {
                let floor = recovered.indices.contains(shard) ? recovered[shard] : .zero
                self.appenders[shard].recogniseNextAppend(above: floor)
                before[shard] = floor
            } else {
                before[shard] = try await self.appenders[shard].floor()
            }
        }
        var ids = [StreamEntryID](repeating: .zero, count: messages.count)
        do {
            for (shard, indices) in parts.sorted(by: { $0.key < $1.key }) {
                let added = try await self.appenders[shard].append(indices.map { messages[$0] })
                for (index, id) in zip(indices, added) {
                    ids[index] = id
                }
            }
        } catch {
            for (shard, floor) in before {
                self.appenders[shard].recogniseNextAppend(above: floor)
            }
            throw error
        }
        return ids
    }
}
