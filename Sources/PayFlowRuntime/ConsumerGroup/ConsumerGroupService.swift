import Logging
import PayFlowRedis
import ServiceLifecycle

/// Runs one consumer of a Redis Streams consumer group around a service's
/// ``ConsumerGroupHandler``: the part of at-least-once delivery that every
/// PayFlow service needs and none should write again.
///
/// Two loops share the handler, each on its own Redis connection so a blocking
/// read never delays the other:
/// - the read loop first re-reads this consumer's own pending entries (id `0`:
///   what a previous run under the same name took and never acked), then reads
///   new entries (`>`) in batches with `COUNT` and `BLOCK`;
/// - the claim loop takes over entries idle longer than `claimMinIdle` with
///   `XAUTOCLAIM`: those of crashed consumers and this consumer's own failed
///   attempts alike, which is how a failed entry is retried.
///
/// Acks are one pipeline per batch and come only after the handler returned,
/// that is after its effects are durable; the read loop sends them ahead of
/// its next read, in the same round trip. Dead-lettering is `XADD` to the DLQ
/// and `XACK` in one `MULTI`/`EXEC`, so an entry is never in both places or in
/// neither. On graceful shutdown both loops finish the batch in hand, ack it,
/// and return; the longest wait is one `BLOCK`.
public struct ConsumerGroupService<Handler: ConsumerGroupHandler>: Service {
    public let configuration: ConsumerGroupConfiguration
    public let counters: ConsumerGroupCounters
    let metrics: ConsumerGroupMetrics
    /// The runtime's stages of a batch (`read`, `decode`, `handle`, `ack`). The read loop's
    /// `read` includes the acks of the batch before, which ride in its round trip; `ack` is a
    /// settlement of its own (a batch with dead letters, the claim loop's batches).
    let stages: BatchStageTimers
    private let handler: Handler
    private let inFlight = InFlightEntries()
    private let route: RedisRoute
    private let logger: Logger

    public init(
        configuration: ConsumerGroupConfiguration,
        redis: RedisConfiguration,
        handler: Handler,
        logger: Logger
    ) {
        self.init(configuration: configuration, route: .node(redis), handler: handler, logger: logger)
    }

    /// A consumer whose connections follow `route`: on a cluster, the master
    /// that serves the slot of the configuration's streams (one shard's,
    /// ``StreamShard``), across failovers and reshardings.
    public init(
        configuration: ConsumerGroupConfiguration,
        route: RedisRoute,
        handler: Handler,
        logger: Logger
    ) {
        self.configuration = configuration
        self.handler = handler
        self.counters = ConsumerGroupCounters(group: configuration.group)
        self.metrics = ConsumerGroupMetrics(group: configuration.group)
        self.stages = BatchStageTimers(group: configuration.group, stages: ["read", "decode", "handle", "ack"])
        self.route = route
        var logger = logger
        logger[metadataKey: "group"] = "\(configuration.group)"
        logger[metadataKey: "consumer"] = "\(configuration.consumerName)"
        self.logger = logger
    }

    public func run() async throws {
        // A quiet stream keeps a read blocked for `block`; only longer means Redis is gone.
        let block = self.configuration.block
        let adjust: @Sendable (RedisConfiguration) -> RedisConfiguration = { redis in
            var redis = redis
            redis.commandTimeout = max(redis.commandTimeout, block + .seconds(10))
            return redis
        }
        let reader = RoutedConnection(self.route, logger: self.logger, adjust: adjust)
        let claimer = RoutedConnection(self.route, logger: self.logger, adjust: adjust)
        let stopping = StopSignal()

        await withGracefulShutdownHandler {
            guard await self.createGroups(reader) else { return }
            self.logger.info("Consumer started", metadata: ["streams": "\(self.configuration.streams.joined(separator: ","))"])
            await withTaskGroup(of: Void.self) { loops in
                loops.addTask { await self.readLoop(reader, stopping: stopping) }
                loops.addTask { await self.claimLoop(claimer, stopping: stopping) }
            }
        } onGracefulShutdown: {
            stopping.stop()
        }

        await reader.close()
        await claimer.close()
        self.logger.info("Consumer stopped", metadata: ["counters": "\(self.counters.snapshot)"])
    }

    // MARK: - Start-up

    /// Creates every group, retrying while Redis is unreachable. Returns false
    /// when shutdown came first.
    private func createGroups(_ link: RoutedConnection) async -> Bool {
        var backoff = Backoff(maximum: self.configuration.maxRetryBackoff)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let connection = try await link.current()
                for stream in self.configuration.streams {
                    try await connection.createGroupIfMissing(
                        stream: stream, group: self.configuration.group, startID: self.configuration.startID
                    )
                }
                return true
            } catch {
                self.logger.warning("Could not create consumer group; retrying", metadata: ["error": "\(error)"])
                await link.recover(from: error)
                await backoff.wait()
            }
        }
        return false
    }

    // MARK: - Read loop

    private func readLoop(_ link: RoutedConnection, stopping: StopSignal) async {
        let streams = self.configuration.streams
        // Ids after which to re-read our own pending entries; nil once they are all done.
        var pendingCursors: [String: StreamEntryID]? = Dictionary(uniqueKeysWithValues: streams.map { ($0, .zero) })
        var backoff = Backoff(maximum: self.configuration.maxRetryBackoff)
        // The acks of the batch before, sent in the same round trip as the next read.
        var acks: DeferredAcks?

        while !stopping.isStopping && !Task.isCancelled {
            do {
                let connection = try await link.current()
                let read: RedisConnection.GroupRead
                let sending = acks
                acks = nil
                if let cursors = pendingCursors {
                    read = try await self.read(
                        connection,
                        streams: streams.map { ($0, cursors[$0, default: .zero].description) },
                        block: nil,
                        acking: sending
                    )
                    if read.isEmpty {
                        pendingCursors = nil
                        continue
                    }
                    let keys = read.entries.map(\.key) + read.deleted
                    pendingCursors = cursors.merging(Dictionary(grouping: keys, by: \.stream).mapValues { $0.map(\.id).max()! }) { max($0, $1) }
                    self.logger.info("Re-processing own pending entries", metadata: ["count": "\(keys.count)"])
                } else {
                    // With the acks of the batch before: they ride in the same round trip.
                    let reading = ContinuousClock.now
                    defer { self.stages.record("read", since: reading) }
                    read = try await self.read(
                        connection, streams: streams.map { ($0, ">") }, block: self.configuration.block, acking: sending
                    )
                }
                acks = try await self.process(read.entries, deleted: read.deleted, connection: connection, deferringAcks: true)
                backoff.reset()
            } catch {
                self.logger.warning("Read loop failed; backing off", metadata: ["error": "\(error)"])
                await link.recover(from: error)
                await backoff.wait()
            }
        }
        if let acks {
            await self.flush(acks, link: link)
        }
    }

    /// `XREADGROUP ... COUNT batchSize`, after the `XACK`s of `acks` in the
    /// same pipeline: one round trip per batch instead of two. Redis answers
    /// the acks before it runs the read, so they are counted and measured as
    /// soon as their replies are in (on the connection's thread), not after a
    /// `BLOCK` the read may wait out.
    private func read(
        _ connection: RedisConnection, streams: [(name: String, id: String)], block: Duration?, acking acks: DeferredAcks?
    ) async throws(RedisError) -> RedisConnection.GroupRead {
        defer { if let acks { self.inFlight.end(acks.entries) } }
        let commands = acks.map { self.ackCommands($0.keys) } ?? []
        return try await connection.readGroup(
            group: self.configuration.group,
            consumer: self.configuration.consumerName,
            streams: streams,
            count: self.configuration.batchSize,
            block: block,
            after: commands.map(\.command)
        ) { replies in
            if let acks { self.recordAcks(acks.keys, streams: commands.map(\.stream), replies: replies) }
        }
    }

    /// Sends acks the loop still held when it stopped.
    private func flush(_ acks: DeferredAcks, link: RoutedConnection) async {
        defer { self.inFlight.end(acks.entries) }
        let commands = self.ackCommands(acks.keys)
        guard !commands.isEmpty else { return }
        do {
            let replies = try await link.current().pipeline(commands.map(\.command))
            self.recordAcks(acks.keys, streams: commands.map(\.stream), replies: replies)
        } catch {
            self.logger.warning("Could not ack the last batch; its entries stay pending", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - Claim loop

    private func claimLoop(_ link: RoutedConnection, stopping: StopSignal) async {
        var backoff = Backoff(maximum: self.configuration.maxRetryBackoff)
        while !stopping.isStopping && !Task.isCancelled {
            await sleepUnlessShuttingDown(for: self.configuration.claimInterval)
            do {
                let connection = try await link.current()
                for stream in self.configuration.streams {
                    var cursor = StreamEntryID.zero
                    repeat {
                        if stopping.isStopping { return }
                        let claim = try await connection.autoClaim(
                            stream: stream,
                            group: self.configuration.group,
                            consumer: self.configuration.consumerName,
                            minIdle: self.configuration.claimMinIdle,
                            cursor: cursor,
                            count: self.configuration.batchSize
                        )
                        if !claim.deleted.isEmpty {
                            // Redis 7 drops these from the pending list itself.
                            self.counters.record(.trimmed, stream: stream, count: claim.deleted.count)
                            self.logger.notice("Pending entries were trimmed from the stream; dropped", metadata: ["stream": "\(stream)", "count": "\(claim.deleted.count)"])
                        }
                        if !claim.entries.isEmpty {
                            self.counters.record(.claimed, stream: stream, count: claim.entries.count)
                            self.logger.info("Claimed idle entries", metadata: ["stream": "\(stream)", "count": "\(claim.entries.count)"])
                            try await self.process(claim.entries, deleted: [], connection: connection)
                        }
                        cursor = claim.nextCursor
                    } while cursor != .zero
                }
                try await self.deleteIdleConsumers(connection)
                try await self.sampleBacklog(connection)
                backoff.reset()
            } catch {
                self.logger.warning("Claim loop failed; backing off", metadata: ["error": "\(error)"])
                await link.recover(from: error)
                await backoff.wait()
            }
        }
    }

    /// Removes consumers that are long gone and hold nothing, so that
    /// `XINFO CONSUMERS` shows the live replicas rather than every pid that
    /// ever ran. A consumer with pending entries is kept: its entries are
    /// claimed first, then it is removed on a later pass.
    private func deleteIdleConsumers(_ connection: RedisConnection) async throws(RedisError) {
        let limit = Int64(self.configuration.idleConsumerDeletion.wholeMilliseconds)
        for stream in self.configuration.streams {
            for consumer in try await connection.consumers(stream: stream, group: self.configuration.group)
            where consumer.pending == 0 && consumer.idleMilliseconds > limit && consumer.name != self.configuration.consumerName {
                try await connection.send(RedisCommand("XGROUP", "DELCONSUMER", stream, self.configuration.group, consumer.name))
                self.logger.info("Deleted idle consumer", metadata: ["stream": "\(stream)", "deleted_consumer": "\(consumer.name)"])
            }
        }
    }

    /// Lag, pending and the oldest pending entry's age of this group on each
    /// stream, as gauges: the age is what tells a stuck entry (it grows) from
    /// a busy group (it stays small while pending is large).
    private func sampleBacklog(_ connection: RedisConnection) async throws(RedisError) {
        for stream in self.configuration.streams {
            if let group = try await connection.groups(of: stream).first(where: { $0.name == self.configuration.group }) {
                let oldestPending = group.pending > 0
                    ? try await connection.pendingSummary(stream: stream, group: self.configuration.group).oldestID
                    : nil
                self.metrics.recordBacklog(stream: stream, lag: group.lag, pending: group.pending, oldestPending: oldestPending)
            }
        }
    }

    // MARK: - One batch

    /// Decodes, handles and settles one batch. Throws only when Redis fails;
    /// the entries then stay pending and are claimed again later. Entries the
    /// other loop is handling right now are left to it (``InFlightEntries``).
    ///
    /// With `deferringAcks`, a batch whose settlement is only acks (no dead
    /// letters) is not acked here: its acks are returned, still in flight, for
    /// the read loop to send ahead of its next read. They are sent after the
    /// handler returned all the same, so after its effects are durable.
    @discardableResult
    func process(
        _ entries: [StreamEntry], deleted: [StreamEntry.Key], connection: RedisConnection, deferringAcks: Bool = false
    ) async throws(RedisError) -> DeferredAcks? {
        let entries = self.inFlight.begin(entries)
        var deferred = false
        defer { if !deferred { self.inFlight.end(entries) } }
        var settlement = Settlement(acks: deleted)
        if !deleted.isEmpty {
            self.counters.record(.trimmed, keys: deleted)
            self.logger.notice("Pending entries were trimmed from the stream; acking", metadata: ["count": "\(deleted.count)"])
        }

        let decoding = ContinuousClock.now
        var deliveries: [Delivery<Handler.Message>] = []
        deliveries.reserveCapacity(entries.count)
        var rejected: [(entry: StreamEntry, reason: String)] = []
        for entry in entries {
            do {
                deliveries.append(Delivery(entry: entry, message: try self.handler.decode(entry)))
            } catch {
                rejected.append((entry, "malformed entry: \(error)"))
            }
        }

        if !entries.isEmpty { self.stages.record("decode", since: decoding) }

        var failed: [(entry: StreamEntry, reason: String)] = []
        var processed: [StreamEntry.Key] = []
        // nil: shutting down while the handler kept throwing; leave them pending.
        let started = ContinuousClock.now
        // Renewed while the handler runs, so no other consumer claims the batch in flight.
        let keepAlive = ClaimKeepAlive(configuration: self.configuration, logger: self.logger)
        if let outcomes = await keepAlive.whileHandling(entries, connection: connection, { await self.handleRetryingThrows(deliveries) }) {
            if !deliveries.isEmpty {
                self.metrics.recordBatch(size: deliveries.count, handledIn: ContinuousClock.now - started)
                self.stages.record("handle", since: started)
            }
            for delivery in deliveries {
                switch outcomes[delivery.key] ?? .retry(reason: "handler returned no outcome") {
                case .done:
                    processed.append(delivery.key)
                case .deadLetter(let reason):
                    rejected.append((delivery.entry, reason))
                case .retry(let reason):
                    failed.append((delivery.entry, reason))
                }
            }
        }
        settlement.acks += processed
        self.counters.record(.processed, keys: processed)
        self.counters.record(.failed, keys: failed.map(\.entry.key))

        if !failed.isEmpty || !rejected.isEmpty {
            var counts = try await connection.deliveryCounts(
                group: self.configuration.group, of: (failed + rejected).map(\.entry.key)
            )
            for (key, count) in counts {
                counts[key] = max(1, count - self.inFlight.skippedDeliveries(of: key))
            }
            for (entry, reason) in rejected {
                settlement.deadLetters.append(DeadLetter(entry: entry, reason: reason, deliveryCount: counts[entry.key] ?? 1))
            }
            for (entry, reason) in failed {
                let deliveries = counts[entry.key] ?? 1
                if deliveries >= self.configuration.maxDeliveries {
                    settlement.deadLetters.append(DeadLetter(
                        entry: entry,
                        reason: "failed \(deliveries) deliveries; last error: \(reason)",
                        deliveryCount: deliveries
                    ))
                } else {
                    self.counters.record(.retried, stream: entry.stream)
                    self.logger.warning(
                        "Entry failed; left pending for retry",
                        metadata: ["stream": "\(entry.stream)", "entry_id": "\(entry.id)", "event_id": "\(entry[field: "id"] ?? "")", "delivery_count": "\(deliveries)", "reason": "\(reason)"]
                    )
                }
            }
        }
        if deferringAcks && settlement.deadLetters.isEmpty {
            // Its acks go out with the read loop's next read, timed as part of "read".
            deferred = true
            return DeferredAcks(keys: settlement.acks, entries: entries)
        }
        let acking = ContinuousClock.now
        try await self.settle(settlement, connection: connection)
        if !entries.isEmpty { self.stages.record("ack", since: acking) }
        self.inFlight.settled(settlement.acks + settlement.deadLetters.map(\.entry.key))
        return nil
    }

    /// Calls the handler; when it throws because its store is down, retries
    /// the same batch with backoff instead of letting it count against the
    /// entries' delivery attempts. Returns nil if shutdown came before it
    /// succeeded.
    ///
    /// When the store refused the work (``HandlerFailure/isOutage(_:)`` is
    /// false), retrying the batch as it is would never end, and failing it
    /// whole would dead-letter every neighbour of one bad entry. So the batch
    /// is halved and each half handled on its own, recursively: a half that
    /// succeeds is settled normally, and an entry refused alone is `.retry`
    /// with the store's reason, spending one attempt, so it reaches the
    /// dead-letter stream after `MAX_DELIVERIES` like any failing entry. One
    /// culprit in a batch of n costs about 2·log2(n) extra calls.
    ///
    /// A split calls the handler again with entries whose first call failed:
    /// that is a redelivery the at-least-once contract already allows, and
    /// handlers with external effects must make the refused call effect-free
    /// or remember what went out (notification records `pending` rows before
    /// it sends, so a refusal there has sent nothing).
    private func handleRetryingThrows(_ deliveries: [Delivery<Handler.Message>]) async -> [StreamEntry.Key: EntryOutcome]? {
        guard !deliveries.isEmpty else { return [:] }
        var backoff = Backoff(maximum: self.configuration.maxRetryBackoff)
        while true {
            do {
                return try await self.handler.handle(deliveries)
            } catch where !HandlerFailure.isOutage(error) {
                guard deliveries.count > 1 else {
                    return deliveries.outcomes(.retry(reason: "\(error)"))
                }
                self.logger.notice(
                    "The store refused a batch; handling its halves apart to isolate the entry it refuses",
                    metadata: ["error": "\(error)", "batch": "\(deliveries.count)"]
                )
                let middle = deliveries.count / 2
                guard let first = await self.handleRetryingThrows(Array(deliveries[..<middle])),
                      let second = await self.handleRetryingThrows(Array(deliveries[middle...]))
                else { return nil }
                return first.merging(second) { outcome, _ in outcome }
            } catch {
                self.counters.record(.failed, keys: deliveries.map(\.key))
                self.logger.warning("Handler failed a whole batch; retrying it", metadata: ["error": "\(error)", "batch": "\(deliveries.count)"])
                if Task.isShuttingDownGracefully || Task.isCancelled { return nil }
                await backoff.wait()
            }
        }
    }

    // MARK: - Acks and dead letters

    private struct Settlement {
        var acks: [StreamEntry.Key]
        var deadLetters: [DeadLetter] = []
    }

    /// A batch handled and to be acked with the next read: the keys to ack,
    /// and the entries in flight until then.
    struct DeferredAcks: Sendable {
        var keys: [StreamEntry.Key]
        var entries: [StreamEntry]
    }

    /// `XACK stream group id...`, one per stream of `keys`.
    private func ackCommands(_ keys: [StreamEntry.Key]) -> [(stream: String, command: RedisCommand)] {
        keys.streamRuns().map { stream, ids in
            var ack = RedisCommand("XACK", stream, self.configuration.group)
            ack.arguments.reserveCapacity(ack.arguments.count + ids.count)
            for id in ids { ack.arguments.append(id.redisBytes) }
            return (stream, ack)
        }
    }

    /// Counts and measures acks Redis answered. An ack it refused is left
    /// pending, for the claim loop to take again, as when a read fails.
    private func recordAcks(_ keys: [StreamEntry.Key], streams: [String], replies: [RedisReply]) {
        if let refused = replies.first(where: { if case .error = $0 { true } else { false } }) {
            self.logger.warning("Redis refused the acks of a batch; its entries stay pending", metadata: ["error": "\(refused)"])
            return
        }
        for (stream, reply) in zip(streams, replies) {
            self.counters.record(.acked, stream: stream, count: Int(reply.integer ?? 0))
        }
        self.metrics.recordAcked(keys)
        self.inFlight.settled(keys)
    }

    /// One round trip: `XACK` per stream, and when there are dead letters,
    /// their `XADD`s with the acks inside one `MULTI`/`EXEC`.
    private func settle(_ settlement: Settlement, connection: RedisConnection) async throws(RedisError) {
        let toAck = settlement.acks + settlement.deadLetters.map(\.entry.key)
        guard !toAck.isEmpty else { return }
        var commands: [RedisCommand] = []
        for letter in settlement.deadLetters {
            var add = RedisCommand("XADD", self.configuration.deadLetterStream, "*")
            add.append(contentsOf: letter.fields(group: self.configuration.group, consumer: self.configuration.consumerName))
            commands.append(add)
        }
        let acksByStream = self.ackCommands(toAck)
        commands.append(contentsOf: acksByStream.map(\.command))
        var replies: [RedisReply]
        if settlement.deadLetters.isEmpty {
            replies = try await connection.pipeline(commands)
        } else {
            let queued = try await connection.pipeline([RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")])
            for reply in queued { try reply.orThrow() }
            guard let executed = queued.last?.array else {
                throw RedisError(.unexpectedReply, "EXEC of dead letters and acks was aborted")
            }
            replies = executed
        }
        for reply in replies { try reply.orThrow() }

        // XACK answers how many it removed: an entry another consumer acked
        // first (after claiming it) is not counted twice.
        for ((stream, _), reply) in zip(acksByStream, replies.suffix(acksByStream.count)) {
            self.counters.record(.acked, stream: stream, count: Int(reply.integer ?? 0))
        }
        self.counters.record(.deadLettered, keys: settlement.deadLetters.map(\.entry.key))
        self.metrics.recordAcked(settlement.acks)
        for letter in settlement.deadLetters {
            self.logger.error(
                "Entry dead-lettered",
                metadata: [
                    "stream": "\(letter.entry.stream)", "entry_id": "\(letter.entry.id)",
                    "event_id": "\(letter.entry[field: "id"] ?? "")", "dlq": "\(self.configuration.deadLetterStream)",
                    "delivery_count": "\(letter.deliveryCount)", "reason": "\(letter.reason)",
                ]
            )
        }
    }
}
