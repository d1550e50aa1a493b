import Foundation
import Logging
import Metrics
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import ServiceLifecycle
import Synchronization

/// The event generator: owns the simulation and is the only writer of the
/// ledger and of `payflow:events` in its process.
///
/// Every write goes through one loop (``run()``), including the scenarios and
/// injections that REST requests ask for: they are queued and the loop
/// answers them between batches. One writer keeps the ledger and the stream
/// in the same order and lets the ledger transaction own its connection.
public final class Generator: GeneratorControl, Service {
    /// Where the generator writes and how it watches its consumers.
    public struct Settings: Sendable {
        public var redis: RedisConfiguration
        /// `REDIS_CLUSTER_NODES`: the cluster the streams live on (with
        /// `redis`'s credentials); nil for the one Redis of `redis`.
        public var cluster: RedisClusterConfiguration?
        /// `EVENT_SHARDS`: each event goes to its account's shard.
        public var shards: StreamShards
        public var databaseURL: String
        /// Pause while a consumer group on `payflow:events` lags more than
        /// this many entries (`GENERATOR_MAX_LAG`); nil never pauses.
        public var maxLag: Int?
        /// How long ``Generator/stop()`` waits for the batch in flight before
        /// it returns with the status at `stopping`: a REST caller gets an
        /// answer even while a store is down.
        public var stopWait: Duration

        public init(
            redis: RedisConfiguration,
            cluster: RedisClusterConfiguration? = nil,
            shards: StreamShards = .unsharded,
            databaseURL: String,
            maxLag: Int?,
            stopWait: Duration = .seconds(5)
        ) {
            self.redis = redis
            self.cluster = cluster
            self.shards = shards
            self.databaseURL = databaseURL
            self.maxLag = maxLag
            self.stopWait = stopWait
        }

        /// Reads `REDIS_URL`, `REDIS_CLUSTER_NODES`, `EVENT_SHARDS`,
        /// `DATABASE_URL` and `GENERATOR_MAX_LAG` (0 never pauses).
        public init(environment: Environment) throws(ConfigurationError) {
            let maxLag = try environment.integer("GENERATOR_MAX_LAG", default: 100_000, in: 0...Int.max)
            let cluster = try environment.redisClusterConfiguration()
            self.init(
                redis: try environment.redisConfiguration(),
                cluster: cluster,
                shards: StreamShards(count: try environment.eventShards().count, cluster: cluster != nil),
                databaseURL: try environment.databaseURL(),
                maxLag: maxLag == 0 ? nil : maxLag
            )
        }
    }

    fileprivate enum Request: Sendable {
        case scenario(FraudPattern, ScenarioParameters, CheckedContinuation<[PaymentEvent], any Error>)
        case inject(PaymentEvent, EventLabel?, CheckedContinuation<String, any Error>)
    }

    private struct State: Sendable {
        var configuration: GeneratorConfiguration
        var running = false
        var pausedForLag = false
        /// A generated batch is being written (retried while a store is down).
        /// After a stop, it still lands: the status says `stopping` until then.
        var writingBatch = false
        var simulator: TrafficSimulator?
        var simulatorConfiguration: GeneratorConfiguration?
        var resolvedSeed: UInt64?
        /// The world the simulator continues (`generator_worlds`).
        var world: WorldIdentity?
        /// The current run (`generator_runs`); nil until the loop opens one
        /// after a start, or for a request between runs.
        var runID: Int?
        /// The run the status names after a stop, until the next one opens.
        var lastRunID: Int?
        var queue: [Request] = []
        var emittedByType: [EventType: Int] = [:]
        var emittedTotal = 0
        var runEmitted = 0
        var runStarted: ContinuousClock.Instant?
        var runStopped: ContinuousClock.Instant?
        var largestGroupLag: Int?
        /// When the load profile took effect: the start, or the `PUT` that changed it.
        var profileStarted: ContinuousClock.Instant?
        /// The last `PUT` while running: the pacer credits the old rate up
        /// to it and the new one after it.
        var rateChangedAt: ContinuousClock.Instant?
        /// Simulation steps (`next()` calls) of the current run: where a live
        /// change of the events' configuration is recorded.
        var runSteps = 0
        /// Live changes of the events' configuration in the current run.
        var configurationChanges = 0
        /// The seed configured when the run started: the running world's
        /// until the loop has resolved it (``resolvedSeed``).
        var startSeed: UInt64?

        /// The load profile's seconds so far, while running.
        var profileElapsed: Double? {
            guard self.running, let started = self.profileStarted else { return nil }
            let elapsed = ContinuousClock.now - started
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }

        /// The target rate now; nil when stopped or as fast as possible.
        var currentRate: Double? {
            guard let elapsed = self.profileElapsed else { return nil }
            return (self.configuration.loadProfile ?? .constant).rate(base: self.configuration.eventsPerSecond, at: elapsed)
        }
    }

    private let settings: Settings
    private let logger: Logger
    private let state: Mutex<State>
    /// The scheduled events' JSON of the last checkpoint, reused by the next
    /// (only the writer loop makes checkpoints).
    private let pendingJSON = Mutex(PendingEventJSON())
    private let wakeUps: AsyncStream<Void>
    private let wakeUp: AsyncStream<Void>.Continuation

    public init(configuration: GeneratorConfiguration, settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        self.state = Mutex(State(configuration: configuration))
        (self.wakeUps, self.wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: - GeneratorControl

    public func status() async -> GeneratorStatus {
        self.state.withLock { state in
            var configuration = state.configuration
            configuration.seed = configuration.seed ?? state.resolvedSeed
            let elapsed = state.runStarted.map { (state.runStopped ?? .now) - $0 } ?? .zero
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return GeneratorStatus(
                state: state.running ? (state.pausedForLag ? .pausedForLag : .running) : (state.writingBatch ? .stopping : .stopped),
                configuration: configuration,
                emittedByType: state.emittedByType,
                emittedTotal: state.emittedTotal,
                achievedRate: seconds > 0 ? Double(state.runEmitted) / seconds : 0,
                largestGroupLag: state.largestGroupLag,
                maxLag: self.settings.maxLag,
                world: state.world?.world,
                accountPrefix: state.world?.accountPrefix,
                run: state.runID ?? state.lastRunID,
                currentRate: state.currentRate,
                loadProfileElapsedSeconds: state.profileElapsed,
                configurationChanges: state.configurationChanges
            )
        }
    }

    /// Stopped, the configuration applies at the next start. Running, the
    /// loop applies it between two batches (within a second): the pacing at
    /// once, the events' fields from the next simulation step, continuing the
    /// same world; a field that would make another world is refused.
    public func configure(_ configuration: GeneratorConfiguration) async throws(GeneratorConfigurationError) {
        try configuration.validate()
        let running = try self.state.withLock { state throws(GeneratorConfigurationError) -> Bool in
            if state.running, !state.configuration.hasSameWorld(as: configuration, runningSeed: state.startSeed ?? state.resolvedSeed) {
                throw GeneratorConfigurationError(
                    field: "seed, accounts, currencies, start_time",
                    problem: "define the simulated world and cannot change while the generator runs; stop it first",
                    reason: .changesRunningWorld
                )
            }
            if state.running, state.configuration.loadProfile != configuration.loadProfile {
                state.profileStarted = .now
            }
            if state.running { state.rateChangedAt = .now }
            state.configuration = configuration
            return state.running
        }
        self.wakeUp.yield()
        self.logger.info(running ? "Generator reconfigured while running" : "Generator configured", metadata: [
            "seed": "\(configuration.seed.map(String.init) ?? "random")",
        ])
    }

    public func start() async throws(GeneratorControlError) {
        try self.state.withLock { state throws(GeneratorControlError) in
            guard !state.running else { throw .alreadyRunning }
            state.running = true
            state.pausedForLag = false
            state.runEmitted = 0
            state.runStarted = .now
            state.runStopped = nil
            state.runID = nil
            state.profileStarted = .now
            state.runSteps = 0
            state.configurationChanges = 0
            state.startSeed = state.configuration.seed
        }
        self.wakeUp.yield()
    }

    /// Returns once the batch being written when the stop came has landed,
    /// so the `emitted_total` a caller reads next is the run's last; if that
    /// batch is still retrying against a store that is down after
    /// `Settings.stopWait`, it returns anyway and the status says `stopping`.
    public func stop() async {
        self.state.withLock { state in
            if state.running { state.runStopped = .now }
            state.running = false
            state.pausedForLag = false
        }
        let deadline = ContinuousClock.now + self.settings.stopWait
        while self.state.withLock({ $0.writingBatch }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    public func runScenario(_ scenario: FraudPattern, parameters: ScenarioParameters) async throws(GeneratorControlError) -> [PaymentEvent] {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                self.enqueue(.scenario(scenario, parameters, continuation))
            }
        } catch let error as GeneratorControlError {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
    }

    public func inject(_ event: PaymentEvent, label: EventLabel?) async throws(GeneratorControlError) -> String {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                self.enqueue(.inject(event, label, continuation))
            }
        } catch let error as GeneratorControlError {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
    }

    private func enqueue(_ request: Request) {
        self.state.withLock { $0.queue.append(request) }
        self.wakeUp.yield()
    }

    // MARK: - The writer loop

    public func run() async throws {
        let redis = self.makeRedisClient()
        let lagProbe = self.makeRedisClient()
        let database = try await self.connectDatabase()
        let emitter = EventEmitter(database: database, producer: StreamProducer(client: redis.client, maxLength: nil), shards: self.settings.shards)
        let store = WorldStore(database: database)
        var pacer = Pacer()
        var lastLagCheck = ContinuousClock.now - .seconds(10)

        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if self.state.withLock({ $0.running || !$0.queue.isEmpty }) {
                guard await self.prepareWorld(store: store, emitter: emitter) else { continue }
            }
            for request in self.state.withLock({ state in defer { state.queue.removeAll() }; return state.queue }) {
                await self.answer(request, emitter: emitter)
            }
            guard let plan = self.planBatch(pacer: &pacer) else {
                // Stopped: sleep until a start or a request arrives.
                try? await cancelWhenGracefulShutdown {
                    var iterator = self.wakeUps.makeAsyncIterator()
                    _ = await iterator.next()
                }
                continue
            }
            if let maxLag = self.settings.maxLag, ContinuousClock.now - lastLagCheck > .milliseconds(250) {
                lastLagCheck = .now
                let lag = await self.largestLag(lagProbe.client)
                let paused = lag.map { $0 > maxLag } ?? false
                let wasPaused = self.state.withLock { state in
                    defer { state.largestGroupLag = lag; state.pausedForLag = paused }
                    return state.pausedForLag
                }
                if paused != wasPaused {
                    self.logger.notice(paused ? "Pausing: a consumer group lags too far behind" : "Resuming: consumer lag is back under the limit",
                                       metadata: ["lag": "\(lag ?? 0)", "max_lag": "\(maxLag)"])
                }
                if paused {
                    pacer.reset()
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(100)) }
                    continue
                }
            }
            if let delay = plan.delay {
                // At most a quarter of a second, so a live `PUT` (a higher
                // rate, a stop) is seen within a second even at 0.1 events/s.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: min(delay, .milliseconds(250))) }
                continue
            }
            await self.emitBatch(size: plan.size, emitter: emitter, pacer: &pacer)
        }

        for request in self.state.withLock({ state in defer { state.queue.removeAll() }; return state.queue }) {
            request.fail(GeneratorControlError.unavailable("the generator is shutting down"))
        }
        await database.close()
        await redis.close()
        await lagProbe.close()
    }

    /// A client of the loop's own: a connection to `REDIS_URL`, or a cluster
    /// client on `REDIS_CLUSTER_NODES`; both connect on first use.
    private func makeRedisClient() -> (client: any RedisClient, close: @Sendable () async -> Void) {
        if let configuration = self.settings.cluster {
            let cluster = RedisCluster(configuration: configuration, logger: self.logger)
            return (cluster, { await cluster.close() })
        }
        let connection = RedisConnection(configuration: self.settings.redis, logger: self.logger)
        return (connection, { await connection.close() })
    }

    private func connectDatabase() async throws -> PostgresConnection {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        return try await backoff.retry("Connecting to PostgreSQL", logger: self.logger) {
            try await PostgresConnection.connect(url: self.settings.databaseURL, logger: self.logger)
        }
    }

    private struct BatchPlan {
        var size: Int
        var delay: Duration?
    }

    /// Decides how many events to emit now, or how long to wait, from the
    /// configured rate; stops the run when its count or duration is reached.
    private func planBatch(pacer: inout Pacer) -> BatchPlan? {
        self.state.withLock { state -> BatchPlan? in
            guard state.running else { return nil }
            let configuration = state.configuration
            let elapsed = state.runStarted.map { ContinuousClock.now - $0 } ?? .zero
            var remaining = Int.max
            if let total = configuration.totalEvents { remaining = total - state.runEmitted }
            if let duration = configuration.durationSeconds, elapsed >= .milliseconds(Int64(duration * 1000)) { remaining = 0 }
            if remaining <= 0 {
                state.running = false
                state.runStopped = .now
                self.logger.info("Generator run complete", metadata: ["emitted": "\(state.runEmitted)"])
                return nil
            }
            guard let rate = state.currentRate else {
                pacer.reset()
                return BatchPlan(size: min(500, remaining))
            }
            let due = pacer.due(rate: rate, changedAt: state.rateChangedAt)
            if due <= 0 { return BatchPlan(size: 0, delay: pacer.untilNext(rate: rate)) }
            return BatchPlan(size: min(due, remaining, 1000))
        }
    }

    private func emitBatch(size: Int, emitter: EventEmitter, pacer: inout Pacer) async {
        var batch: [SimulatedEvent] = []
        var saving: [Int] = []
        let after = self.state.withLock { state -> (TrafficSimulator, WorldIdentity, Int)? in
            // A stop may have come since the batch was planned (the lag probe
            // awaits in between): it must not be followed by a batch, or the
            // count the stop answered would not be the run's last.
            guard state.running else { return nil }
            guard var simulator = state.simulator, let world = state.world, let run = state.runID else { return nil }
            // The simulator's only holder while it steps: were the state to
            // hold it too, its first change would copy all accounts, every batch.
            state.simulator = nil
            while batch.count < size {
                let step = simulator.next()
                state.runSteps += 1
                guard !step.isEmpty else {
                    // The mix allows no event at all (say, only unblocks and nobody blocked).
                    state.running = false
                    state.runStopped = .now
                    self.logger.error("The configured mix can produce no more events; generator stopped")
                    break
                }
                batch += step
            }
            if !batch.isEmpty {
                // Only a batch that gets a checkpoint may count its accounts as saved.
                saving = simulator.accountsToSave(of: batch)
            }
            state.simulator = simulator
            state.writingBatch = !batch.isEmpty
            return (simulator, world, run)
        }
        guard !batch.isEmpty, let after else { return }
        let checkpoint = self.checkpoint(after: batch, saving: saving, simulator: after.0, world: after.1, run: after.2)
        await self.write(batch, checkpoint: checkpoint, emitter: emitter)
        self.state.withLock { $0.writingBatch = false }
        pacer.record(batch.count)
    }

    /// The world after `batch`, to commit with it; `saving` is what
    /// ``TrafficSimulator/accountsToSave(of:)`` chose for it.
    private func checkpoint(
        after batch: [SimulatedEvent], saving: [Int], simulator: TrafficSimulator, world: WorldIdentity, run: Int
    ) -> BatchCheckpoint? {
        guard let first = batch.first?.event.occurredAt, let last = batch.map(\.event.occurredAt).max() else { return nil }
        do {
            return BatchCheckpoint(
                world: world.world, run: run,
                simulation: try self.pendingJSON.withLock { pendingJSON throws(CheckpointJSONError) in
                    try simulator.snapshot().encoded(reusing: &pendingJSON)
                },
                accounts: try simulator.accountStates(at: saving), firstEventAt: first, lastEventAt: last
            )
        } catch {
            // JSON encoding of plain values does not fail; if it ever did, the
            // batch still goes out and the next process replays from the last
            // checkpoint that did commit. The accounts chosen as saved were
            // not: the next checkpoint saves every held account again.
            self.logger.error("Cannot encode the simulated world; this batch is written without it", metadata: ["error": "\(error)"])
            self.state.withLock { $0.simulator?.forgetSavedAccounts() }
            return nil
        }
    }

    /// Writes a batch, retrying with backoff while Redis or PostgreSQL are
    /// down: a generated batch is never dropped, not even on graceful
    /// shutdown; only cancellation gives it up.
    private func write(_ batch: [SimulatedEvent], checkpoint: BatchCheckpoint?, emitter: EventEmitter) async {
        var backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5))
        let written: Void? = try? await backoff.retry(
            "Emitting a batch of \(batch.count)", logger: self.logger, giveUp: { Task.isCancelled }, pauseThroughShutdown: true
        ) {
            _ = try await emitter.emit(batch, checkpoint: checkpoint)
        }
        if written != nil {
            self.count(batch)
        }
    }

    private func count(_ batch: [SimulatedEvent]) {
        var byType: [EventType: Int] = [:]
        for simulated in batch where simulated.emissions > 0 {
            byType[simulated.event.type, default: 0] += simulated.emissions
        }
        self.state.withLock { state in
            for (type, count) in byType {
                state.emittedByType[type, default: 0] += count
                state.emittedTotal += count
                state.runEmitted += count
            }
        }
        for (type, count) in byType {
            Counter(label: "payflow_generator_events_total", dimensions: [("type", type.rawValue)]).increment(by: count)
        }
    }

    /// Makes the simulator continue the stored world (or start a new one) and
    /// opens a run, before anything is generated; false when PostgreSQL
    /// cannot be read now (the loop tries again after a pause).
    ///
    /// The simulator is made anew when the configuration changed since it was
    /// made, as before; what is new is where it starts: from the world the
    /// last committed batch saved, not from the seed's beginning. A batch
    /// committed but not wholly on the stream (the process died between its
    /// commit and its XADD) is published first, exactly once.
    private func prepareWorld(store: WorldStore, emitter: EventEmitter) async -> Bool {
        do {
            let (needed, change) = self.state.withLock { state -> (GeneratorConfiguration?, (run: Int, step: Int, GeneratorConfiguration)?) in
                guard let made = state.simulatorConfiguration, made != state.configuration else {
                    return (state.simulator == nil ? state.configuration : nil, nil)
                }
                guard state.simulator != nil, made.hasSameWorld(as: state.configuration, runningSeed: state.resolvedSeed) else {
                    return (state.configuration, nil)
                }
                // The same world: continue the simulator as it is, with the
                // new mix, rates and weights from its next step on.
                state.simulatorConfiguration = state.configuration
                guard !made.hasSameEvents(as: state.configuration) else { return (nil, nil) }
                state.simulator?.reconfigure(state.configuration)
                guard let run = state.runID else { return (nil, nil) }
                state.configurationChanges += 1
                return (nil, (run, state.runSteps, state.configuration))
            }
            if let change {
                try await store.recordConfiguration(run: change.run, atStep: change.step, configuration: change.2)
                self.logger.notice("The events' configuration changed during the run; recorded", metadata: [
                    "run": "\(change.run)", "at_step": "\(change.step)",
                ])
            }
            if let configuration = needed {
                let (identity, simulator) = try await self.loadWorld(for: configuration, store: store, emitter: emitter)
                self.state.withLock { state in
                    if state.world != identity { state.runID = nil }
                    state.simulator = simulator
                    state.simulatorConfiguration = configuration
                    state.resolvedSeed = identity.seed
                    state.world = identity
                }
            }
            guard let world = self.state.withLock({ $0.runID == nil ? $0.world : nil }) else { return true }
            let configuration = self.state.withLock { $0.simulatorConfiguration ?? $0.configuration }
            let run = try await store.beginRun(world: world.world, seed: world.seed)
            try await store.recordConfiguration(run: run, atStep: 0, configuration: configuration)
            self.state.withLock { state in
                state.runID = run
                state.lastRunID = run
                state.runSteps = 0
            }
            self.logger.info("Generator run \(run) begins", metadata: ["world": "\(world.world)", "seed": "\(world.seed)"])
            return true
        } catch {
            self.logger.warning("Cannot read or open the simulated world; retrying", metadata: ["error": "\(error)"])
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            return false
        }
    }

    private func loadWorld(
        for configuration: GeneratorConfiguration, store: WorldStore, emitter: EventEmitter
    ) async throws -> (WorldIdentity, TrafficSimulator) {
        let stored = try await store.latest()
        if let stored, let pending = stored.pending {
            try await emitter.recover(pending: pending, world: stored.identity.world, above: stored.streamFloors)
            self.logger.notice("Published what the stream lacked of the last committed batch", metadata: ["world": "\(stored.identity.world)"])
        }
        if let stored, stored.identity.fits(configuration) {
            let identity = stored.identity
            var simulator = TrafficSimulator(
                configuration: configuration, seed: identity.seed, startTime: configuration.startTime ?? .now(),
                accountPrefix: identity.accountPrefix
            )
            if let simulation = stored.simulation {
                try simulator.restore(SimulationSnapshot.decoded(simulation), accounts: try await store.accounts(of: identity.world))
                self.logger.info("Continuing the simulated world", metadata: [
                    "world": "\(identity.world)", "seed": "\(identity.seed)", "business_time": "\(simulator.businessTime)",
                ])
            }
            return (identity, simulator)
        }
        let identity = WorldIdentity(
            world: (stored?.identity.world ?? 0) + 1, seed: configuration.seed ?? UInt64.random(in: 0...UInt64.max),
            accounts: configuration.accounts, currencies: configuration.currencies
        )
        try await store.create(identity)
        if let stored {
            self.logger.notice("The configuration does not fit the stored world; starting a new world with its own accounts", metadata: [
                "world": "\(identity.world)", "previous_world": "\(stored.identity.world)", "account_prefix": "\(identity.accountPrefix)",
            ])
        }
        let simulator = TrafficSimulator(
            configuration: configuration, seed: identity.seed, startTime: configuration.startTime ?? .now(),
            accountPrefix: identity.accountPrefix
        )
        return (identity, simulator)
    }

    private func answer(_ request: Request, emitter: EventEmitter) async {
        switch request {
        case .scenario(let scenario, let parameters, let continuation):
            let events: [SimulatedEvent]
            let after: (TrafficSimulator, WorldIdentity, Int, [Int])
            do {
                (events, after) = try self.state.withLock { state throws(GeneratorControlError) in
                    guard var simulator = state.simulator, let world = state.world, let run = state.runID else {
                        throw GeneratorControlError.unavailable("the simulated world could not be loaded from PostgreSQL")
                    }
                    // The only holder while it runs the scenario (see ``emitBatch``).
                    state.simulator = nil
                    defer { state.simulator = simulator }
                    let events = try simulator.scenario(scenario, parameters: parameters)
                    // Only a batch that gets a checkpoint may count its accounts as saved.
                    let saving = events.isEmpty ? [] : simulator.accountsToSave(of: events)
                    return (events, (simulator, world, run, saving))
                }
            } catch {
                continuation.resume(throwing: error)
                return
            }
            let checkpoint = self.checkpoint(after: events, saving: after.3, simulator: after.0, world: after.1, run: after.2)
            await self.write(events, checkpoint: checkpoint, emitter: emitter)
            continuation.resume(returning: events.filter { $0.emissions > 0 }.map(\.event))
        case .inject(let event, let label, let continuation):
            let simulated = SimulatedEvent(
                event: event, ledger: event.type.isTransaction ? LedgerRecord(matching: event) : nil,
                labels: label.map { [$0.groundTruth(for: event.id)] } ?? []
            )
            do {
                // In the current run, so the run's scores count its label.
                let ids = try await emitter.emit([simulated], run: self.state.withLock { $0.runID ?? $0.lastRunID })
                self.count([simulated])
                continuation.resume(returning: ids.first?.description ?? "")
            } catch {
                continuation.resume(throwing: GeneratorControlError.unavailable("\(error)"))
            }
        }
    }

    /// The largest `lag` of the groups reading `payflow:events` (Redis 7
    /// `XINFO GROUPS`), summed over the shards; nil when unknown.
    private func largestLag(_ redis: any RedisClient) async -> Int? {
        var lags: [String: Int] = [:]
        for shard in self.settings.shards.shards {
            let groups = try? await redis.withConnection(serving: shard.events) { connection throws(RedisError) in
                try await connection.groups(of: shard.events)
            }
            guard let groups else { return nil }
            for group in groups {
                lags[group.name, default: 0] += group.lag ?? 0
            }
        }
        return lags.values.max()
    }
}

extension Generator.Request {
    fileprivate func fail(_ error: GeneratorControlError) {
        switch self {
        case .scenario(_, _, let continuation): continuation.resume(throwing: error)
        case .inject(_, _, let continuation): continuation.resume(throwing: error)
        }
    }
}
