import Foundation
import Logging
import PayFlowRedis
import PayFlowRuntime
import ServiceLifecycle

/// The consumer-group runtime alone: how fast one group drains a backlog when
/// the handler does nothing, so what is measured is reading, decoding into
/// `StreamEntry`, acking and the runtime's own bookkeeping, and what it costs
/// Redis (`used_cpu_sys + used_cpu_user` of `INFO cpu`, before and after) and
/// the client (this process's user + system CPU from `getrusage`, over the
/// drain alone): the two per entry say which side bounds the rate.
///
/// Run with the platform's five groups draining the same entries at once, it
/// is the transport's floor: what every event costs before any service does
/// anything with it, which no handler's work can go below.
public struct RuntimeBenchmark: Sendable {
    public struct Result: Sendable, Codable {
        public var entries: Int
        /// Groups that each read and acked every entry; the CPU figures per
        /// entry are for all of them together.
        public var groups: Int
        /// Consumers per group.
        public var consumers: Int
        public var batchSize: Int
        public var seconds: Double
        public var entriesPerSecond: Double
        public var redisCPUSeconds: Double
        /// Redis CPU per 1,000 entries, in milliseconds.
        public var redisCPUMillisecondsPerThousand: Double
        /// Redis CPU per entry, in microseconds (the same figure, per entry).
        public var redisCPUMicrosecondsPerEntry: Double
        /// CPU of this process (user + system) over the drain: the consumers,
        /// their connections' threads and the progress poll.
        public var clientCPUSeconds: Double
        /// Client CPU per entry, in microseconds.
        public var clientCPUMicrosecondsPerEntry: Double
    }

    /// A no-op handler: everything it gets is done.
    struct NothingHandler: ConsumerGroupHandler {
        func decode(_ entry: StreamEntry) throws -> StreamEntry { entry }
        func handle(_ batch: [Delivery<StreamEntry>]) async throws -> [StreamEntry.Key: EntryOutcome] {
            batch.outcomes(.done)
        }
    }

    public var redis: RedisConfiguration
    public var entries: Int
    public var batchSize: Int
    public var logger: Logger

    public init(redis: RedisConfiguration, entries: Int, batchSize: Int, logger: Logger) {
        self.redis = redis
        self.entries = entries
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Loads `entries` PayFlow-sized entries into a fresh stream.
    public func preload(stream: String) async throws -> Void {
        let connection = try await RedisConnection.connect(configuration: self.redis, logger: self.logger)
        try await connection.send(RedisCommand("DEL", stream))
        let producer = StreamProducer(connection: connection, maxLength: nil)
        var added = 0
        while added < self.entries {
            let chunk = min(5_000, self.entries - added)
            try await producer.add((0..<chunk).map { index in
                StreamProducer.Message(stream: stream, fields: BenchmarkEntry.fields(index: added + index))
            })
            added += chunk
        }
        await connection.close()
    }

    /// Drains the preloaded stream with `groups` new groups at once, each
    /// with `consumers` consumers.
    public func drain(stream: String, consumers: Int, groups: Int = 1) async throws -> Result {
        let connection = try await RedisConnection.connect(configuration: self.redis, logger: self.logger)
        let run = UUID().uuidString.prefix(8)
        let groupNames = (1...groups).map { "bench-\(run)-\($0)" }
        var services: [ConsumerGroupService<NothingHandler>] = []
        for group in groupNames {
            try await connection.createGroupIfMissing(stream: stream, group: group, startID: "0")
            for index in 1...consumers {
                var configuration = ConsumerGroupConfiguration(group: group, streams: [stream], consumerName: "bench-\(index)")
                configuration.batchSize = self.batchSize
                configuration.block = .milliseconds(50)
                services.append(ConsumerGroupService(configuration: configuration, redis: self.redis, handler: NothingHandler(), logger: self.logger))
            }
        }
        let cpuBefore = try await Self.redisCPU(connection)
        let counters = services.map(\.counters)
        let (elapsed, clientCPU) = try await Self.runUntil(
            services, acked: self.entries * groups, by: { counters.map(\.snapshot.acked).reduce(0, +) }, logger: self.logger
        )
        let cpuAfter = try await Self.redisCPU(connection)
        for group in groupNames {
            try await connection.send(RedisCommand("XGROUP", "DESTROY", stream, group))
        }
        await connection.close()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let cpu = cpuAfter - cpuBefore
        return Result(
            entries: self.entries, groups: groups, consumers: consumers, batchSize: self.batchSize, seconds: seconds,
            entriesPerSecond: Double(self.entries) / seconds, redisCPUSeconds: cpu,
            redisCPUMillisecondsPerThousand: cpu * 1000 / (Double(self.entries) / 1000),
            redisCPUMicrosecondsPerEntry: cpu * 1e6 / Double(self.entries),
            clientCPUSeconds: clientCPU,
            clientCPUMicrosecondsPerEntry: clientCPU * 1e6 / Double(self.entries)
        )
    }

    /// Runs `services` until `acked()` reaches `target`, then shuts them down
    /// gracefully; returns how long that took and this process's CPU over it
    /// (the shutdown excluded).
    static func runUntil(
        _ services: [any Service],
        acked target: Int,
        by acked: @escaping @Sendable () -> Int,
        logger: Logger
    ) async throws -> (elapsed: Duration, clientCPU: Double) {
        let clientBefore = Self.processCPU()
        let started = ContinuousClock.now
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            let serviceGroup = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
            tasks.addTask { try await serviceGroup.run() }
            while acked() < target {
                try await Task.sleep(for: .milliseconds(2))
            }
            let measured = (ContinuousClock.now - started, Self.processCPU() - clientBefore)
            await serviceGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return measured
        }
    }

    /// User + system CPU of this process so far, in seconds (`getrusage`).
    static func processCPU() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// `used_cpu_sys + used_cpu_user` of the Redis server, in seconds.
    static func redisCPU(_ connection: RedisConnection) async throws -> Double {
        let info = try await connection.send(RedisCommand("INFO", "cpu")).string ?? ""
        var total = 0.0
        for line in info.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":")
            if parts.count == 2, parts[0] == "used_cpu_sys" || parts[0] == "used_cpu_user" {
                total += Double(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        return total
    }
}

/// An entry the size and shape of a PayFlow payment event (12 fields, ~330 bytes).
public enum BenchmarkEntry {
    public static func fields(index: Int) -> [(name: String, value: String)] {
        [
            ("id", String(format: "%08x-0000-4000-8000-%012x", index, index)),
            ("type", "payment"),
            ("schema_version", "1"),
            ("occurred_at", "2026-03-02T08:00:00.123456Z"),
            ("account", "acc-\(String(format: "%06d", index % 10_000))"),
            ("amount", "\(1_000 + index % 50_000)"),
            ("currency", "EUR"),
            ("merchant", "merchant-\(index % 500)"),
            ("country", "DE"),
            ("ip", "10.\(index % 256).\(index / 256 % 256).1"),
            ("device", "device-\(index % 20_000)"),
            ("channel", "card"),
        ]
    }
}
