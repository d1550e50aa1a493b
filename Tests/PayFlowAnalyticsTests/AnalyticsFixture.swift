import Foundation
import Logging
import PayFlowAnalytics
import PayFlowAnalyticsAPI
import PayFlowDomain
import PayFlowGenerator
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import ServiceLifecycle
import Testing

/// A fresh, migrated PostgreSQL database and three streams of unique names in
/// Redis database 0 (shared with other suites, hence the names), plus helpers
/// to write entries, handle batches directly and run consumer replicas.
struct AnalyticsFixture: IntegrationFixtureWrapper, Sendable {
    let base: IntegrationFixture
    let streams: AnalyticsStreams
    /// Unique too, so that the dead-letter stream `payflow:dlq:<group>` is ours.
    let group: String

    static let quietLogger = Logger.quiet("test.analytics", level: .critical)

    /// `redisDatabase` ``RedisTestDatabase/shared``: streams and group with
    /// unique names; another: that database, flushed, with the real names,
    /// for tests that run the process as `payflow analytics` builds it.
    static func with(redisDatabase: RedisTestDatabase = .shared, _ body: (AnalyticsFixture) async throws -> Void) async throws {
        try await IntegrationFixture.with(redisDatabase: redisDatabase) { base in
            guard redisDatabase == .shared else {
                try await body(AnalyticsFixture(base: base, streams: .standard, group: AnalyticsService.group.name))
                return
            }
            let group = base.uniqueName("analytics-test")
            base.deleteAfterwards(ConsumerGroupConfiguration.deadLetterStream(forGroup: group))
            try await body(AnalyticsFixture(
                base: base,
                streams: AnalyticsStreams(
                    events: base.uniqueName("analytics-test:events"),
                    alerts: base.uniqueName("analytics-test:alerts"),
                    mismatches: base.uniqueName("analytics-test:mismatches")
                ),
                group: group
            ))
        }
    }

    // MARK: - Building entries

    static func payment(account: String = "acc-000001", amount: Int64 = 1250, currency: Currency = .eur, at time: EventTimestamp = Traffic.start) -> PaymentEvent {
        PaymentEvent(
            id: UUID(), type: .payment, occurredAt: time, account: account, amount: amount, currency: currency,
            details: .init(merchant: "mer-0001", country: "DE", ip: "10.0.0.1", device: "dev-1")
        )
    }

    static func accountEvent(_ type: EventType, account: String, at time: EventTimestamp) -> PaymentEvent {
        PaymentEvent(id: UUID(), type: type, occurredAt: time, account: account, amount: 0, currency: .eur, details: .init(reason: "test"))
    }

    static func alert(eventID: UUID = UUID(), rule: String, at time: EventTimestamp = Traffic.start) -> AlertNotice {
        AlertNotice(
            alertID: "\(eventID.uuidString.lowercased()):\(rule)", eventID: eventID.uuidString.lowercased(), account: "acc-000001",
            rule: rule, severity: "high", reason: "test", detectedAt: time
        )
    }

    static func mismatch(kind: String, at time: EventTimestamp = Traffic.start) -> MismatchNotice {
        MismatchNotice(
            mismatchID: UUID().uuidString.lowercased(), kind: kind, transactionID: UUID().uuidString.lowercased(),
            expected: "100", actual: "", detectedAt: time
        )
    }

    /// Entries as the runtime would deliver them, with made-up ids: for
    /// handling batches directly, without Redis.
    func deliveries(_ messages: [AnalyticsMessage], firstID: UInt64 = 1) -> [Delivery<AnalyticsMessage>] {
        messages.enumerated().map { index, message in
            let (stream, fields): (String, [(name: String, value: String)]) = switch message {
            case .event(let event): (self.streams.events, event.fields)
            case .alert(let alert): (self.streams.alerts, alert.fields)
            case .mismatch(let mismatch): (self.streams.mismatches, mismatch.fields)
            }
            let entry = StreamEntry(stream: stream, id: StreamEntryID(milliseconds: firstID + UInt64(index), sequence: 0), fields: fields)
            return Delivery(entry: entry, message: message)
        }
    }

    /// A handler on a connection of its own, closed after `body`; connected as
    /// the fixture's owner, or as `role` (as the process connects, so that a
    /// missing grant fails the test).
    func withHandler<T>(as role: ServiceRole? = nil, _ body: (AnalyticsHandler) async throws -> T) async throws -> T {
        let url = role.map { $0.databaseURL(from: self.databaseURL) } ?? self.databaseURL
        let connection = try await PostgresConnection.connect(url: url, logger: Self.quietLogger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(AnalyticsHandler(database: connection, streams: self.streams)))
        } catch {
            result = .failure(error)
        }
        await connection.close()
        return try result.get()
    }

    /// Hands `messages` to `handler` in batches of `size`, in order, every
    /// batch done; a batch that fails with a retriable PostgreSQL error (a
    /// deadlock between two replicas) is handed over again, as the runtime
    /// does when a handler throws, and counted in `retries`.
    func handle(_ messages: [AnalyticsMessage], inBatchesOf size: Int, with handler: AnalyticsHandler, retries: Shared<Int>) async throws {
        var start = 0
        while start < messages.count {
            let batch = self.deliveries(Array(messages[start..<min(start + size, messages.count)]), firstID: UInt64(start + 1))
            while true {
                do {
                    let outcomes = try await handler.handle(batch)
                    #expect(outcomes.values.allSatisfy { $0 == .done })
                    break
                } catch let error as PostgresError where error.isRetriable {
                    retries.withLock { $0 += 1 }
                }
            }
            start += size
        }
    }

    var queries: AnalyticsQueries { AnalyticsQueries(database: self.database) }

    // MARK: - Writing streams

    /// XADDs every message, pipelined in chunks, in order.
    func xadd(_ messages: [AnalyticsMessage]) async throws {
        var commands: [RedisCommand] = []
        for message in messages {
            let (stream, fields): (String, [(name: String, value: String)]) = switch message {
            case .event(let event): (self.streams.events, event.fields)
            case .alert(let alert): (self.streams.alerts, alert.fields)
            case .mismatch(let mismatch): (self.streams.mismatches, mismatch.fields)
            }
            var command = RedisCommand("XADD", stream, "*")
            for field in fields {
                command.append(field.name)
                command.append(field.value)
            }
            commands.append(command)
        }
        var start = 0
        while start < commands.count {
            let chunk = Array(commands[start..<min(start + 500, commands.count)])
            for reply in try await self.redis.pipeline(chunk) { try reply.orThrow() }
            start += chunk.count
        }
    }

    /// Entries still pending in the group, over the three streams.
    func pendingCount() async throws -> Int {
        var total = 0
        for stream in self.streams.all {
            let reply = try await self.redis.send(RedisCommand("XPENDING", stream, self.group))
            total += reply.array?.first?.integer.map(Int.init) ?? 0
        }
        return total
    }

    // MARK: - Running replicas

    /// One `payflow analytics` process, built as the command builds it (on a
    /// fixture with its own Redis database: the real stream names).
    func process(_ consumer: String, batchSize: Int = 64) async throws -> PayFlowApplication {
        precondition(self.streams == .standard, "the process reads the real streams: use a RedisTestDatabase of the test's own")
        let environment = Environment([
            "REDIS_URL": ServiceRole.analytics.redisURL(from: self.redisURL), "DATABASE_URL": ServiceRole.analytics.databaseURL(from: self.databaseURL), "CONSUMER_NAME": consumer,
            "STREAM_BATCH_SIZE": "\(batchSize)", "STREAM_BLOCK_MS": "100", "CLAIM_MIN_IDLE_MS": "500",
            "CLAIM_INTERVAL_MS": "100", "RETRY_BACKOFF_MAX_MS": "200",
        ])
        return try await AnalyticsService.make(ProcessContext(environment: environment, logger: Self.quietLogger))
    }
}

// MARK: - Expected figures, computed in Swift from what was written

/// Deterministic traffic for the tests.
enum Traffic {
    static let start = EventTimestamp(rfc3339: "2026-03-02T08:00:00Z")!

    /// `count` simulated events or more (a step can emit a scenario), every
    /// emission as the stream would carry it: an injected `duplicate_event`
    /// appears twice.
    static func events(seed: UInt64, count: Int, accounts: Int = 300) -> [PaymentEvent] {
        var simulator = TrafficSimulator(
            configuration: GeneratorConfiguration(
                accounts: accounts, fraudRate: 0.01, inconsistencyRate: 0.02, seed: seed,
                currencies: [.eur, .usd, .jpy], startTime: Self.start
            ),
            seed: seed,
            startTime: Self.start
        )
        var events: [PaymentEvent] = []
        while events.count < count {
            let step = simulator.next()
            if step.isEmpty { break }
            for simulated in step {
                for _ in 0..<simulated.emissions { events.append(simulated.event) }
            }
        }
        return events
    }
}

/// The figures analytics must report for a set of events, from the distinct
/// events only.
struct ExpectedFigures {
    var totals: [AmountTotals]
    var blockedAccounts: Int64
    var spend: [String: AccountSpend]

    init(_ events: [PaymentEvent]) {
        var distinct: [UUID: PaymentEvent] = [:]
        for event in events where distinct[event.id] == nil { distinct[event.id] = event }
        self.totals = Self.totals(Array(distinct.values))
        var latest: [String: PaymentEvent] = [:]
        var spend: [String: AccountSpend] = [:]
        for event in distinct.values {
            switch event.type {
            case .accountBlocked, .accountUnblocked:
                if let current = latest[event.account],
                   (current.occurredAt, current.id.uuidString.lowercased()) > (event.occurredAt, event.id.uuidString.lowercased()) {
                    continue
                }
                latest[event.account] = event
            case .payment:
                let key = "\(event.account)/\(event.currency.code)"
                var row = spend[key] ?? AccountSpend(account: event.account, currency: event.currency.code, payments: 0, amount: 0)
                row.payments += 1
                row.amount += event.amount
                spend[key] = row
            default:
                break
            }
        }
        self.blockedAccounts = Int64(latest.values.filter { $0.type == .accountBlocked }.count)
        self.spend = spend
    }

    /// Per type and currency, sorted as the API sorts them.
    static func totals(_ events: [PaymentEvent]) -> [AmountTotals] {
        Dictionary(grouping: events) { "\($0.type.rawValue)|\($0.currency.code)" }
            .map { _, group in
                AmountTotals(
                    type: group[0].type.rawValue, currency: group[0].currency.code, count: Int64(group.count),
                    sum: group.reduce(0) { $0 + $1.amount }, min: group.map(\.amount).min()!, max: group.map(\.amount).max()!
                )
            }
            .sorted { ($0.type, $0.currency) < ($1.type, $1.currency) }
    }
}
