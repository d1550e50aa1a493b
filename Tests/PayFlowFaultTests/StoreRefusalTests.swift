import Foundation
import Logging
import PayFlowAnalyticsAPI
import PayFlowAntiFraud
import PayFlowAuditLog
import PayFlowDomain
import PayFlowNotification
import PayFlowPostgres
import PayFlowReconciliation
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// Entries a store refuses, amid normal traffic, with the five services built
/// by their builders (as `payflow <service>` builds them) on real Redis and
/// PostgreSQL: every group drains, exactly one dead letter per bad entry and
/// group, every neighbour processed once, no false mismatch.
///
/// Two kinds of bad entry:
/// - values the domain decoder refuses (a NUL byte in `account`, a
///   9,000-character account): dead-lettered at once, with the decoder's
///   reason, by every group that decodes events; the audit log keeps them;
/// - an entry that decodes but that each group's store refuses (a CHECK
///   constraint added to this test's database; for anti-fraud, account-state
///   keys of the wrong type in Redis, which the Lua script fails on): the
///   runtime splits the batch until the entry is alone and dead-letters it
///   after `MAX_DELIVERIES`.
/// Redis database ``RedisTestDatabase/faultStoreRefusals``.
@Suite("Faults: entries a store refuses, amid traffic, in every group")
struct StoreRefusalTests {
    static let refusedAccount = "acc-refused-by-store"
    static let constraint = "test_refuses_account"
    static let maxDeliveries = 2
    /// Longer than the test: the sweep's verdict on a ledger row is checked
    /// directly (has its event been seen?), not by waiting for a sweep whose
    /// timing depends on the machine's load.
    static let grace = Duration.seconds(120)

    @Test func everyGroupDrainsAndDeadLettersOnlyTheEntriesItsStoreRefuses() async throws {
        try await IntegrationFixture.with(redisDatabase: .faultStoreRefusals) { fixture in
            let (redis, database) = (fixture.redis, fixture.database)
            try await Self.makeStoresRefuse(Self.refusedAccount, database: database, redis: redis)

            let good = (0..<300).map(Self.event)
            for event in good where event.type.isTransaction {
                try await Self.insertLedgerRow(for: event, database: database)
            }
            let nulAccount = Self.event(1000).replacing("account", with: "acc-\u{0}1")
            let longAccount = Self.event(1001).replacing("account", with: String(repeating: "a", count: 9000))
            let storeRefused = Self.event(1002).replacing("account", with: Self.refusedAccount)
            var entries = good.map(\.fields)
            // Amid traffic: each in a different batch of 64, none at a batch edge.
            entries.insert(storeRefused.fields, at: 230)
            entries.insert(longAccount.fields, at: 150)
            entries.insert(nulAccount.fields, at: 40)
            try await Self.append(entries, to: redis)

            let context = Self.context(fixture)
            let applications = [
                try await AntiFraudService.make(context),
                try await NotificationService.make(context),
                try await ReconciliationService.make(context),
                try await AnalyticsService.make(context),
                try await AuditLogService.make(context),
            ]
            let decodeRefused = [nulAccount.id, longAccount.id]
            let expected: [String: Set<UUID>] = [
                "anti-fraud": Set(decodeRefused + [storeRefused.id]),
                "notification": Set(decodeRefused + [storeRefused.id]),
                "reconciliation": Set(decodeRefused + [storeRefused.id]),
                "analytics": Set(decodeRefused + [storeRefused.id]),
                // The audit log decodes nothing: it keeps the malformed entries.
                "audit-log": [storeRefused.id],
            ]
            try await withApplicationsRunning(applications) {
                try await eventually("every group drained, the bad entries dead-lettered", timeout: .seconds(90)) {
                    for (group, ids) in expected where try await Self.deadLetters(group, redis: redis).count < ids.count {
                        return false
                    }
                    return try await Self.everyGroupDrained(redis)
                }
                #expect(try await Self.everyGroupDrained(redis))
            }

            for (group, ids) in expected {
                let letters = try await Self.deadLetters(group, redis: redis)
                #expect(letters.count == ids.count, "\(group): one dead letter per bad entry, got \(letters.map { $0[field: "reason"] ?? "" })")
                #expect(Set(letters.compactMap { $0[field: "original.id"].flatMap(UUID.init(uuidString:)) }) == ids, "\(group)")
                for letter in letters {
                    let reason = letter[field: "reason"] ?? ""
                    switch letter[field: "original.id"].flatMap(UUID.init(uuidString:)) {
                    case nulAccount.id:
                        #expect(reason.contains("control character U+0000"), "\(group): \(reason)")
                        #expect(letter[field: "delivery_count"] == "1", "\(group): dead-lettered at once")
                    case longAccount.id:
                        #expect(reason.contains("at most 64"), "\(group): \(reason)")
                        #expect(letter[field: "delivery_count"] == "1", "\(group): dead-lettered at once")
                    default:
                        #expect(reason.contains("failed \(Self.maxDeliveries) deliveries"), "\(group): \(reason)")
                        if group != "anti-fraud" {
                            #expect(reason.contains(Self.constraint), "\(group): \(reason)")
                        }
                    }
                }
            }

            // Every neighbour processed, once.
            let transactions = good.filter { $0.type.isTransaction }.count
            let seen = try await database.query("SELECT count(*), count(DISTINCT transaction_id) FROM reconciliation_seen").rows[0]
            #expect(try seen.decode(0, as: Int.self) == transactions)
            #expect(try seen.decode(1, as: Int.self) == transactions)
            let mismatches = try await database.query("SELECT kind || ' ' || transaction_id FROM reconciliation_mismatches").rows.map { try $0.decode(0, as: String.self) }
            #expect(mismatches == [], "no false mismatch")
            // What the sweep would report as missing_in_stream once the grace is over.
            let unseen = try await Self.count("""
                SELECT count(*) FROM reference_transactions r
                WHERE NOT EXISTS (SELECT 1 FROM reconciliation_seen s WHERE s.transaction_id = r.transaction_id)
                """, database)
            #expect(unseen == 0, "ledger rows whose event reconciliation never recorded")

            let notified = try await database.query("""
                SELECT count(*), count(*) FILTER (WHERE status = 'delivered' AND attempts = 1)
                FROM notifications WHERE source_stream = $1
                """, [StreamNames.events]).rows[0]
            #expect(try notified.decode(0, as: Int.self) == good.count)
            #expect(try notified.decode(1, as: Int.self) == good.count, "every neighbour notified once")

            #expect(try await Self.count("SELECT count(*) FROM analytics_events", database) == good.count)
            // The decoder's refusals are kept by the audit log, NUL replaced.
            let audited = try await database.query("SELECT count(*), count(DISTINCT entry_id) FROM audit_log WHERE stream = $1", [StreamNames.events]).rows[0]
            #expect(try audited.decode(0, as: Int.self) == good.count + decodeRefused.count)
            #expect(try audited.decode(1, as: Int.self) == good.count + decodeRefused.count)
        }
    }

    // MARK: - Set-up

    /// Settings as each process would read them: two deliveries, claims after
    /// 2 s idle. Not quicker: a batch read but not yet begun on a starved
    /// machine (the read loop's task not scheduled for longer than the claim
    /// idle) is claimed, handled and acked by the claim loop, and then handled
    /// again by the read loop: the at-least-once redelivery this test does
    /// not look at, and which `InFlightEntries` cannot see.
    static func context(_ fixture: IntegrationFixture) -> ProcessContext {
        ProcessContext(
            environment: Environment([
                "REDIS_URL": fixture.redisURL, "DATABASE_URL": fixture.databaseURL, "HTTP_PORT": "0",
                "STREAM_BATCH_SIZE": "64", "STREAM_BLOCK_MS": "100", "CLAIM_MIN_IDLE_MS": "2000", "CLAIM_INTERVAL_MS": "100",
                "MAX_DELIVERIES": "\(Self.maxDeliveries)", "RETRY_BACKOFF_MAX_MS": "200",
                "RECONCILIATION_GRACE_MS": "\(Self.grace.components.seconds * 1000)", "RECONCILIATION_SWEEP_INTERVAL_MS": "100",
                "ANTI_FRAUD_SETTLE_INTERVAL_MS": "100", "NOTIFICATION_CHANNEL": "log",
            ]),
            logger: .quiet("test.store-refusals", level: .critical)
        )
    }

    /// What no migration would do: each store refuses one account, as a
    /// store refuses whatever it cannot keep. Anti-fraud's state is in Redis:
    /// keys of the wrong type make its Lua script fail with an error reply.
    static func makeStoresRefuse(_ account: String, database: PostgresConnection, redis: RedisConnection) async throws {
        for (table, column) in [("reconciliation_seen", "account"), ("notifications", "recipient"), ("analytics_events", "account")] {
            try await database.query("ALTER TABLE \(table) ADD CONSTRAINT \(Self.constraint) CHECK (\(column) <> '\(account)')")
        }
        try await database.query("ALTER TABLE audit_log ADD CONSTRAINT \(Self.constraint) CHECK (fields->>'account' IS DISTINCT FROM '\(account)')")
        for key in ["p", "pa", "t", "st", "rf"] {
            try await redis.send(RedisCommand("SET", "payflow:af:{\(account)}:\(key)", "not what the script expects"))
        }
    }

    /// Ordinary traffic: payments and top-ups over 100 accounts, now.
    static func event(_ index: Int) -> PaymentEvent {
        let topup = index % 5 == 4
        return PaymentEvent(
            id: UUID(), type: topup ? .topup : .payment,
            occurredAt: EventTimestamp.now().adding(microseconds: Int64(index) * 1000),
            account: "acc-" + String(index % 100), amount: Int64(100 + index), currency: .eur,
            details: topup ? .init(source: "card") : .init(merchant: "m-0001", country: "DE", ip: "10.0.0.1", device: "d-1")
        )
    }

    static func insertLedgerRow(for event: PaymentEvent, database: PostgresConnection) async throws {
        try await database.query(
            "INSERT INTO reference_transactions (transaction_id, account, type, amount, currency, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)",
            [event.id, event.account, event.type.rawValue, event.amount, event.currency.code, event.occurredAt.description]
        )
    }

    static func append(_ entries: [[(name: String, value: String)]], to redis: RedisConnection) async throws {
        let replies = try await redis.pipeline(entries.map { fields in
            var command = RedisCommand("XADD", StreamNames.events, "*")
            for field in fields {
                command.append(field.name)
                command.append(field.value)
            }
            return command
        })
        for reply in replies { try reply.orThrow() }
    }

    // MARK: - Reading results

    /// Nothing pending and nothing unread, for every group on every stream that has groups.
    static func everyGroupDrained(_ redis: RedisConnection) async throws -> Bool {
        let streams = [StreamNames.events, StreamNames.alerts, StreamNames.mismatches]
            + ConsumerGroupName.platform.map { ConsumerGroupConfiguration.deadLetterStream(forGroup: $0.name) }
        for stream in streams where try await redis.send(RedisCommand("EXISTS", stream)).integer == 1 {
            let last = try await redis.range(stream: stream, count: 1, reverse: true).first?.id
            for group in try await redis.groups(of: stream) {
                // lag is nil when Redis cannot tell; then compare with the newest entry.
                let unread = group.lag.map { $0 != 0 } ?? (group.lastDeliveredID != last)
                if group.pending != 0 || unread { return false }
            }
        }
        return true
    }

    static func deadLetters(_ group: String, redis: RedisConnection) async throws -> [StreamEntry] {
        try await redis.range(stream: ConsumerGroupConfiguration.deadLetterStream(forGroup: group))
    }

    static func count(_ sql: String, _ database: PostgresConnection) async throws -> Int {
        try await database.query(sql).rows[0].decode(0, as: Int.self)
    }
}

extension PaymentEvent {
    /// The event's stream fields with one value replaced: what no `PaymentEvent` can hold.
    fileprivate func replacing(_ name: String, with value: String) -> (id: UUID, fields: [(name: String, value: String)]) {
        (self.id, self.fields.map { $0.name == name ? (name, value) : $0 })
    }
}
