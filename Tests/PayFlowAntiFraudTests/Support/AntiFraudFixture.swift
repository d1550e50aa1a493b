import Foundation
import Logging
import PayFlowAntiFraud
import PayFlowDomain
import PayFlowGenerator
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// A handler wired to a real Redis (unique key prefix and alert stream, or a
/// database of its own; or the test cluster) and a fresh, migrated PostgreSQL
/// database.
struct AntiFraudFixture: IntegrationFixtureWrapper, Sendable {
    let base: IntegrationFixture
    var configuration: AntiFraudConfiguration
    var alertStream: String
    /// The handler's Redis: the base's connection, or a cluster client.
    var client: any RedisClient
    var shards: StreamShards = .unsharded

    var handler: AntiFraudHandler {
        AntiFraudHandler(
            state: AccountStateStore(configuration: self.configuration, shards: self.shards, redis: self.client),
            alerts: FraudAlertStore(database: self.database, redis: self.client, stream: self.alertStream),
            provisional: ProvisionalVerdictStore(database: self.database)
        )
    }

    var settler: ProvisionalVerdictSettler {
        ProvisionalVerdictSettler(state: self.handler.state, verdicts: self.handler.provisional, alerts: self.handler.alerts)
    }

    /// Settles every provisional verdict, as the settle service does once the
    /// group has processed everything.
    @discardableResult
    func settle() async throws -> (settled: Int, alerted: Int) {
        try await self.settler.settle(through: .caughtUp)
    }

    /// `redisDatabase` ``RedisTestDatabase/shared``: unique key names;
    /// another: that database, flushed, with the real stream names.
    static func with<T: Sendable>(redisDatabase: RedisTestDatabase = .shared, _ body: (AntiFraudFixture) async throws -> T) async throws -> T {
        try await IntegrationFixture.with(redisDatabase: redisDatabase) { base in
            var configuration = AntiFraudConfiguration()
            var alertStream = StreamNames.alerts
            if redisDatabase == .shared {
                configuration.keyPrefix = base.uniqueName("test:af")
                alertStream = base.uniqueName("test:alerts")
            }
            return try await body(AntiFraudFixture(base: base, configuration: configuration, alertStream: alertStream, client: base.redis))
        }
    }

    /// On `placement`, with unique key names: on the cluster, the state over
    /// three shards (so three masters) and the alert stream on whichever
    /// master its slot has.
    static func with<T: Sendable>(on placement: RedisPlacement, _ body: (AntiFraudFixture) async throws -> T) async throws -> T {
        guard placement == .cluster else { return try await Self.with(body) }
        return try await TestCluster.steadily {
            let cluster = try await RedisCluster.connect(configuration: try await TestCluster.shared().configuration)
            do {
                let result = try await Self.with { fixture in
                    var onCluster = fixture
                    onCluster.client = cluster
                    onCluster.shards = StreamShards(count: 3, cluster: true)
                    return try await body(onCluster)
                }
                await cluster.close()
                return result
            } catch {
                await cluster.close()
                throw error
            }
        }
    }

    /// Runs the handler over the events in batches, as the runtime would.
    /// `settle`: then settle the provisional verdicts (as a caught-up group would).
    func handle(_ events: [PaymentEvent], batchSize: Int = 256, settle: Bool = true) async throws {
        var start = 0
        while start < events.count {
            let chunk = events[start..<min(start + batchSize, events.count)]
            let deliveries = chunk.enumerated().map { offset, event in
                Delivery(
                    entry: StreamEntry(stream: StreamNames.events, id: StreamEntryID(milliseconds: UInt64(start + offset + 1), sequence: 0), fields: event.fields),
                    message: event
                )
            }
            let outcomes = try await self.handler.handle(deliveries)
            #expect(outcomes.values.allSatisfy { $0 == .done })
            start += chunk.count
        }
        if settle { try await self.settle() }
    }

    /// Every alert row: alert id → (event id, rule, published).
    func alertRows() async throws -> [String: (event: UUID, rule: String, published: Bool)] {
        var rows: [String: (event: UUID, rule: String, published: Bool)] = [:]
        for row in try await self.database.query("SELECT alert_id, event_id, rule, published_at IS NOT NULL FROM fraud_alerts").rows {
            rows[try row.decode(0, as: String.self)] = (try row.decode(1, as: UUID.self), try row.decode(2, as: String.self), try row.decode(3, as: Bool.self))
        }
        return rows
    }

    /// The `alert_id`s on the alert stream, in order (duplicates kept).
    func streamAlertIDs() async throws -> [String] {
        let stream = self.alertStream
        let reply = try await self.client.withConnection(serving: stream) { redis throws(RedisError) in
            try await redis.send(RedisCommand("XRANGE", stream, "-", "+"))
        }
        return (reply.array ?? []).compactMap { item in
            let flat = item.array?[1].array ?? []
            var index = 0
            while index + 1 < flat.count {
                if flat[index].string == "alert_id" { return flat[index + 1].string }
                index += 2
            }
            return nil
        }
    }

    /// Ground-truth labels as the generator writes them, for the report.
    func insertLabels(_ events: [SimulatedEvent]) async throws {
        let rows: [[(any PostgresEncodable)?]] = events.flatMap { simulated in
            simulated.labels.map { label in
                [label.category, label.name, label.transactionID, label.incidentID] as [(any PostgresEncodable)?]
            }
        }
        guard !rows.isEmpty else { return }
        try await self.database.insertRows(
            into: "generator_ground_truth", columns: ["category", "name", "transaction_id", "incident_id"],
            rows: rows, onConflict: "ON CONFLICT DO NOTHING"
        )
    }
}

/// Deterministic traffic for the tests.
enum Traffic {
    static let start = EventTimestamp(rfc3339: "2026-03-02T08:00:00Z")!

    /// The clean profile unless asked: the rule tests check that every alert
    /// is a labelled fraud, which holds only there.
    static func simulator(seed: UInt64, accounts: Int = 300, fraudRate: Double = 0, profile: TrafficProfile = .clean) -> TrafficSimulator {
        TrafficSimulator(
            configuration: GeneratorConfiguration(accounts: accounts, fraudRate: fraudRate, inconsistencyRate: 0, seed: seed, startTime: Self.start, profile: profile),
            seed: seed,
            startTime: Self.start
        )
    }

    /// `count` steps of traffic, every emitted event (duplicates as the stream would carry them).
    static func steps(_ simulator: inout TrafficSimulator, count: Int) -> [SimulatedEvent] {
        var events: [SimulatedEvent] = []
        while events.count < count {
            let step = simulator.next()
            if step.isEmpty { break }
            events += step
        }
        return events
    }
}
