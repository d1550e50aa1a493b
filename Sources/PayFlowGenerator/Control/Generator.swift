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
        public var databaseURL: String
        /// Pause while a consumer group on `payflow:events` lags more than
        /// this many entries (`GENERATOR_MAX_LAG`); nil never pauses.
        public var maxLag: Int?

        public init(redis: RedisConfiguration, databaseURL: String, maxLag: Int?) {
            self.redis = redis
            self.databaseURL = databaseURL
            self.maxLag = maxLag
        }

        /// Reads `REDIS_URL`, `DATABASE_URL` and
        /// `GENERATOR_MAX_LAG` (0 never pauses).
        public init(environment: Environment) throws(ConfigurationError) {
            let maxLag = try environment.integer("GENERATOR_MAX_LAG", default: 100_000, in: 0...Int.max)
            self.init(
                redis: try environment.redisConfiguration(),
                databaseURL: try environment.databaseURL(),
                maxLag: maxLag == 0 ? nil : maxLag
            )
        }
    }

    fileprivate enum Request: Sendable {
        case scenario(FraudPattern, ScenarioParameters, CheckedContinuation<[PaymentEvent], any Error>)
        case inject(PaymentEvent, CheckedContinuation<String, any Error>)
    }

    private struct State: Sendable {
        var configuration: GeneratorConfiguration
        var running = false
        var pausedForLag = false
        var simulator: TrafficSimulator?
        var simulatorConfiguration: GeneratorConfiguration?
        var resolvedSeed: UInt64?
        var queue: [Request] = []
        var emittedByType: [EventType: Int] = [:]
        var emittedTotal = 0
        var runEmitted = 0
        var runStarted: ContinuousClock.Instant?
        var runStopped: ContinuousClock.Instant?
        var largestGroupLag: Int?
    }

    private let settings: Settings
    private let logger: Logger
    private let state: Mutex<State>
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
                state: state.running ? (state.pausedForLag ? .pausedForLag : .running) : .stopped,
                configuration: configuration,
                emittedByType: state.emittedByType,
                emittedTotal: state.emittedTotal,
                achievedRate: seconds > 0 ? Double(state.runEmitted) / seconds : 0,
                largestGroupLag: state.largestGroupLag,
                maxLag: self.settings.maxLag
            )
        }
    }

    public func configure(_ configuration: GeneratorConfiguration) async throws(GeneratorConfigurationError) {
        try configuration.validate()
        self.state.withLock { $0.configuration = configuration }
        self.logger.info("Generator configured", metadata: ["seed": "\(configuration.seed.map(String.init) ?? "random")"])
    }

    public func start() async throws(GeneratorControlError) {
        try self.state.withLock { state throws(GeneratorControlError) in
            guard !state.running else { throw .alreadyRunning }
            state.running = true
            state.pausedForLag = false
            state.runEmitted = 0
            state.runStarted = .now
            state.runStopped = nil
        }
        self.wakeUp.yield()
    }

    public func stop() async {
        self.state.withLock { state in
            if state.running { state.runStopped = .now }
            state.running = false
            state.pausedForLag = false
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

    public func inject(_ event: PaymentEvent) async throws(GeneratorControlError) -> String {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                self.enqueue(.inject(event, continuation))
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
        let redis = RedisConnection(configuration: self.settings.redis, logger: self.logger)
        let lagProbe = RedisConnection(configuration: self.settings.redis, logger: self.logger)
        let database = try await self.connectDatabase()
        let emitter = EventEmitter(database: database, producer: StreamProducer(connection: redis, maxLength: nil))
        var pacer = Pacer()
        var lastLagCheck = ContinuousClock.now - .seconds(10)

        while !Task.isShuttingDownGracefully && !Task.isCancelled {
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
                let lag = await self.largestLag(lagProbe)
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
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
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
            guard let rate = configuration.eventsPerSecond else {
                return BatchPlan(size: min(500, remaining))
            }
            let due = pacer.due(rate: rate)
            if due <= 0 { return BatchPlan(size: 0, delay: pacer.untilNext(rate: rate)) }
            return BatchPlan(size: min(due, remaining, 1000))
        }
    }

    private func emitBatch(size: Int, emitter: EventEmitter, pacer: inout Pacer) async {
        var batch: [SimulatedEvent] = []
        self.state.withLock { state in
            var simulator = self.simulator(&state)
            while batch.count < size {
                let step = simulator.next()
                guard !step.isEmpty else {
                    // The mix allows no event at all (say, only unblocks and nobody blocked).
                    state.running = false
                    state.runStopped = .now
                    self.logger.error("The configured mix can produce no more events; generator stopped")
                    break
                }
                batch += step
            }
            state.simulator = simulator
        }
        guard !batch.isEmpty else { return }
        await self.write(batch, emitter: emitter)
        pacer.record(batch.count)
    }

    /// Writes a batch, retrying with backoff while Redis or PostgreSQL are
    /// down: a generated batch is never dropped, not even on graceful
    /// shutdown; only cancellation gives it up.
    private func write(_ batch: [SimulatedEvent], emitter: EventEmitter) async {
        var backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5))
        let written: Void? = try? await backoff.retry(
            "Emitting a batch of \(batch.count)", logger: self.logger, giveUp: { Task.isCancelled }, pauseThroughShutdown: true
        ) {
            _ = try await emitter.emit(batch)
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

    /// The simulator for the current configuration, made anew when the
    /// configuration changed since the last run.
    private func simulator(_ state: inout State) -> TrafficSimulator {
        if let simulator = state.simulator, state.simulatorConfiguration == state.configuration {
            return simulator
        }
        let seed = state.configuration.seed ?? UInt64.random(in: 0...UInt64.max)
        state.resolvedSeed = seed
        state.simulatorConfiguration = state.configuration
        return TrafficSimulator(configuration: state.configuration, seed: seed, startTime: state.configuration.startTime ?? .now())
    }

    private func answer(_ request: Request, emitter: EventEmitter) async {
        switch request {
        case .scenario(let scenario, let parameters, let continuation):
            let events: [SimulatedEvent]
            do {
                events = try self.state.withLock { state throws(GeneratorControlError) in
                    var simulator = self.simulator(&state)
                    defer { state.simulator = simulator }
                    return try simulator.scenario(scenario, parameters: parameters)
                }
            } catch {
                continuation.resume(throwing: error)
                return
            }
            await self.write(events, emitter: emitter)
            continuation.resume(returning: events.filter { $0.emissions > 0 }.map(\.event))
        case .inject(let event, let continuation):
            let simulated = SimulatedEvent(event: event, ledger: event.type.isTransaction ? LedgerRecord(matching: event) : nil)
            do {
                let ids = try await emitter.emit([simulated])
                self.count([simulated])
                continuation.resume(returning: ids.first?.description ?? "")
            } catch {
                continuation.resume(throwing: GeneratorControlError.unavailable("\(error)"))
            }
        }
    }

    /// The largest `lag` of the groups reading `payflow:events` (Redis 7
    /// `XINFO GROUPS`); nil when unknown.
    private func largestLag(_ connection: RedisConnection) async -> Int? {
        guard let groups = try? await connection.groups(of: StreamNames.events) else { return nil }
        return groups.compactMap(\.lag).max()
    }
}

extension Generator.Request {
    fileprivate func fail(_ error: GeneratorControlError) {
        switch self {
        case .scenario(_, _, let continuation): continuation.resume(throwing: error)
        case .inject(_, let continuation): continuation.resume(throwing: error)
        }
    }
}
