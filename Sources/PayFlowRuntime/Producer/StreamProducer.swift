import PayFlowRedis

/// Appends entries to streams in batches: one pipeline of `XADD`s per call.
/// The services pass no `maxLength`: a blind `MAXLEN ~` drops entries a
/// lagging group has not read, so their streams are trimmed by
/// ``StreamTrimmer`` instead. `payflow demo-produce`, a one-shot tool with no
/// trimmer, passes `STREAM_MAXLEN`; `MAXLEN ~` trims whole radix-tree nodes
/// only (cheap).
public struct StreamProducer: Sendable {
    /// One entry to append.
    public struct Message: Sendable {
        public var stream: String
        public var fields: [(name: String, value: String)]

        public init(stream: String, fields: [(name: String, value: String)]) {
            self.stream = stream
            self.fields = fields
        }
    }

    let connection: RedisConnection
    /// Approximate upper bound of each stream's length; nil keeps everything.
    public let maxLength: Int?

    public init(connection: RedisConnection, maxLength: Int?) {
        self.connection = connection
        self.maxLength = maxLength
    }

    /// Appends the messages in order, in one round trip, and returns their ids.
    /// Throws if any `XADD` was refused; the others in the pipeline stay, and
    /// after a broken connection nobody knows how many landed. Retrying the
    /// whole batch therefore may add some twice; ``RetrySafeAppender`` does not.
    @discardableResult
    public func add(_ messages: [Message]) async throws(RedisError) -> [StreamEntryID] {
        let commands = messages.map { message in
            var command = RedisCommand("XADD", message.stream)
            if let maxLength = self.maxLength {
                command.append(contentsOf: ["MAXLEN", "~", maxLength])
            }
            command.append("*")
            for field in message.fields {
                command.append(field.name)
                command.append(field.value)
            }
            return command
        }
        return try await self.connection.pipeline(commands).map { reply throws(RedisError) in
            guard let text = try reply.orThrow().string, let id = StreamEntryID(text) else {
                throw RedisError(.unexpectedReply, "XADD returned no id")
            }
            return id
        }
    }
}
