import Foundation
import Logging
import PayFlowBalances
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The balances group, built by ``BalancesService/make(_:)`` as
/// `payflow balances` builds it, against real Redis and PostgreSQL: every
/// balance exact however often an entry is delivered.
@Suite("balances: running balances, exact under redelivery", .serialized)
struct BalancesTests {
    @Test func twoReplicasApplyEveryEventOnceThoughEntriesRepeatAndAReplicaDied() async throws {
        try await IntegrationFixture.with(redisDatabase: .balancesReplicas) { fixture in
            let (redis, database) = (fixture.redis, fixture.database)
            var rng = SystemRandomNumberGenerator()
            let events = (0..<600).map { _ in Self.randomEvent(using: &rng) }
            // Every tenth event a second time, as after a producer retry.
            let entries = events + events.enumerated().filter { $0.offset % 10 == 0 }.map(\.element)
            try await Self.append(entries, to: redis)

            // A consumer reads a batch and dies without acking: the replicas must claim it.
            _ = try await redis.send(RedisCommand("XGROUP", "CREATE", StreamNames.events, "balances", "0", "MKSTREAM"))
            let dead = try await redis.send(RedisCommand("XREADGROUP", "GROUP", "balances", "dead-replica", "COUNT", "50", "STREAMS", StreamNames.events, ">"))
            #expect(dead.array?.first?.array?.last?.array?.count == 50)

            let replicas = try await (1...2).asyncMap { replica in
                try await BalancesService.make(Self.context(fixture, consumer: "replica-\(replica)"))
            }
            let transactions = events.filter { $0.type.isTransaction }
            try await withApplicationsRunning(replicas) {
                // At least: the exact count is asserted after shutdown, so an
                // event applied twice fails there, naming the difference.
                try await eventually("every transaction applied", timeout: .seconds(60)) {
                    try await Self.appliedEventCount(database) >= transactions.count
                }
                try await eventually("the dead replica's entries claimed and acked", timeout: .seconds(90)) {
                    try await redis.send(RedisCommand("XPENDING", StreamNames.events, "balances")).array?.first?.integer == 0
                }
            }
            #expect(try await Self.balances(database) == Self.expectedBalances(events))
            #expect(try await Self.appliedEventCount(database) == transactions.count)
            let deadLetters = ConsumerGroupConfiguration.deadLetterStream(forGroup: BalancesService.group.name)
            #expect(try await redis.send(RedisCommand("XLEN", deadLetters)).integer == 0)
        }
    }

    @Test func aBatchHandledTwiceChangesNothing() async throws {
        try await IntegrationFixture.with(redisDatabase: .balancesRedelivery) { fixture in
            let database = fixture.database
            var rng = SystemRandomNumberGenerator()
            let events = (0..<100).map { _ in Self.randomEvent(using: &rng) }
            let handler = BalancesHandler(database: database)
            let deliveries = try events.enumerated().map { index, event in
                let entry = StreamEntry(stream: StreamNames.events, id: StreamEntryID(milliseconds: 1, sequence: UInt64(index)), fields: event.fields)
                return Delivery(entry: entry, message: try handler.decode(entry))
            }
            for _ in 0..<2 {
                let outcomes = try await handler.handle(deliveries)
                #expect(outcomes.values.allSatisfy { $0 == .done })
                #expect(outcomes.count == deliveries.count)
            }
            #expect(try await Self.balances(database) == Self.expectedBalances(events))
        }
    }

    // MARK: - Fixture

    /// One replica's settings, as its process would read them: the
    /// fixture's servers, quick reads and claims.
    static func context(_ fixture: IntegrationFixture, consumer: String) -> ProcessContext {
        ProcessContext(
            environment: Environment([
                "REDIS_URL": ServiceRole.balances.redisURL(from: fixture.redisURL),
                "DATABASE_URL": ServiceRole.balances.databaseURL(from: fixture.databaseURL),
                "CONSUMER_NAME": consumer,
                "STREAM_BATCH_SIZE": "64",
                "STREAM_BLOCK_MS": "100",
                "CLAIM_MIN_IDLE_MS": "300",
                "CLAIM_INTERVAL_MS": "100",
            ]),
            logger: .quiet("test.balances")
        )
    }

    static func randomEvent(using rng: inout SystemRandomNumberGenerator) -> PaymentEvent {
        let type = [EventType.payment, .payment, .refund, .topup, .accountBlocked].randomElement(using: &rng)!
        let details: PaymentEvent.Details = switch type {
        case .payment: .init(merchant: "mer-0001", country: "DE", ip: "10.0.0.1", device: "dev-1")
        case .refund: .init(merchant: "mer-0001", originalPaymentID: UUID())
        case .topup: .init(source: "bank_transfer")
        case .accountBlocked, .accountUnblocked: .init(reason: "test")
        }
        return PaymentEvent(
            id: UUID(), type: type, occurredAt: .now(),
            account: "acc-\(Int.random(in: 1...12, using: &rng))",
            amount: type.isTransaction ? Int64.random(in: 1...50_000, using: &rng) : 0,
            currency: [Currency.eur, .usd].randomElement(using: &rng)!,
            details: details
        )
    }

    static func append(_ events: [PaymentEvent], to redis: RedisConnection) async throws {
        let commands = events.map { event in
            var command = RedisCommand("XADD", StreamNames.events, "*")
            for field in event.fields {
                command.append(field.name)
                command.append(field.value)
            }
            return command
        }
        for reply in try await redis.pipeline(commands) { _ = try reply.orThrow() }
    }

    struct Key: Hashable, CustomStringConvertible {
        var account: String
        var currency: String
        var description: String { "\(self.account)/\(self.currency)" }
    }

    /// What the balances must be: the ground truth, summed in Swift.
    static func expectedBalances(_ events: [PaymentEvent]) -> [Key: Int64] {
        var sums: [Key: Int64] = [:]
        for event in events {
            guard let change = BalanceChange(event) else { continue }
            sums[Key(account: change.account, currency: change.currency.code), default: 0] += change.delta
        }
        return sums
    }

    static func balances(_ database: PostgresConnection) async throws -> [Key: Int64] {
        var balances: [Key: Int64] = [:]
        for row in try await database.query("SELECT account, currency, balance FROM account_balances").rows {
            balances[Key(account: try row.decode(0, as: String.self), currency: try row.decode(1, as: String.self))] = try row.decode(2, as: Int64.self)
        }
        return balances
    }

    static func appliedEventCount(_ database: PostgresConnection) async throws -> Int {
        try await database.query("SELECT coalesce(sum(events), 0)::bigint FROM account_balances").rows[0].decode(0, as: Int.self)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self {
            results.append(try await transform(element))
        }
        return results
    }
}
