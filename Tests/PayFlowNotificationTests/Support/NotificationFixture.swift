import Foundation
import Logging
import PayFlowDomain
import PayFlowNotification
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import ServiceLifecycle

/// A fresh, migrated PostgreSQL database and streams and a group of unique
/// names in Redis database 0 (so tests run in parallel with every other
/// suite), with helpers to write events and alerts and to run consumers.
struct NotificationFixture: IntegrationFixtureWrapper, Sendable {
    let base: IntegrationFixture
    let eventsStream: String
    let alertsStream: String
    let mismatchesStream: String
    let group: String

    static let quietLogger = Logger.quiet("test.notification")

    static func with(_ body: (NotificationFixture) async throws -> Void) async throws {
        try await IntegrationFixture.with { base in
            let group = base.uniqueName("notification")
            base.deleteAfterwards(ConsumerGroupConfiguration.deadLetterStream(forGroup: group))
            try await body(NotificationFixture(
                base: base,
                eventsStream: base.uniqueName("test:notification:events"), alertsStream: base.uniqueName("test:notification:alerts"),
                mismatchesStream: base.uniqueName("test:notification:mismatches"),
                group: group
            ))
        }
    }

    // MARK: - Sources

    static func event(_ type: EventType, account: String = "acc-000001", amount: Int64 = 1250, currency: Currency = .eur) -> PaymentEvent {
        let details: PaymentEvent.Details = switch type {
        case .payment: .init(merchant: "mer-0001", country: "DE", ip: "10.0.0.1", device: "dev-1")
        case .refund: .init(merchant: "mer-0001", originalPaymentID: UUID())
        case .topup: .init(source: "card")
        case .accountBlocked: .init(reason: "suspected fraud")
        case .accountUnblocked: .init(reason: "cleared by operations")
        }
        return PaymentEvent(
            id: UUID(), type: type, occurredAt: .now(), account: account,
            amount: type.isTransaction ? amount : 0, currency: currency, details: details
        )
    }

    /// One event of every type.
    static func everyEventType() -> [PaymentEvent] {
        EventType.allCases.map { Self.event($0) }
    }

    static func alert(rule: String = "velocity", severity: String = "high") -> AlertNotice {
        let eventID = UUID().uuidString.lowercased()
        return AlertNotice(
            alertID: "\(eventID):\(rule)", eventID: eventID, account: "acc-000002", rule: rule, severity: severity,
            reason: "5 payments in 60 s", detectedAt: .now()
        )
    }

    static func mismatch(kind: MismatchKind = .amountMismatch) -> MismatchNotice {
        MismatchNotice(
            mismatchID: UUID().uuidString.lowercased(), kind: kind.rawValue, transactionID: UUID().uuidString.lowercased(),
            expected: "1250 EUR", actual: "1500 EUR", detectedAt: .now()
        )
    }

    @discardableResult
    func xadd(stream: String, fields: [(name: String, value: String)]) async throws -> StreamEntryID {
        var command = RedisCommand("XADD", stream, "*")
        for field in fields {
            command.append(field.name)
            command.append(field.value)
        }
        return StreamEntryID(try await self.redis.send(command).string ?? "")!
    }

    @discardableResult
    func xadd(_ event: PaymentEvent) async throws -> StreamEntryID {
        try await self.xadd(stream: self.eventsStream, fields: event.fields)
    }

    @discardableResult
    func xadd(_ alert: AlertNotice) async throws -> StreamEntryID {
        try await self.xadd(stream: self.alertsStream, fields: alert.fields)
    }

    @discardableResult
    func xadd(_ mismatch: MismatchNotice) async throws -> StreamEntryID {
        try await self.xadd(stream: self.mismatchesStream, fields: mismatch.fields)
    }

    /// The entries of the three streams, as the runtime would deliver them.
    func streamEntries() async throws -> [StreamEntry] {
        var entries: [StreamEntry] = []
        for stream in self.streams {
            let reply = try await self.redis.send(RedisCommand("XRANGE", stream, "-", "+"))
            for item in reply.array ?? [] {
                guard let parts = item.array, parts.count == 2, let id = parts[0].string.flatMap({ StreamEntryID($0) }) else { continue }
                entries.append(StreamEntry(stream: stream, id: id, fields: Self.pairs(parts[1])))
            }
        }
        return entries
    }

    private static func pairs(_ reply: RedisReply) -> [(name: String, value: String)] {
        let flat = reply.array ?? []
        var fields: [(name: String, value: String)] = []
        var index = 0
        while index + 1 < flat.count {
            fields.append((flat[index].string ?? "", flat[index + 1].string ?? ""))
            index += 2
        }
        return fields
    }

    /// The streams the group reads, as the service's are: events, alerts, mismatches.
    var streams: [String] { [self.eventsStream, self.alertsStream, self.mismatchesStream] }

    // MARK: - Results

    struct Row: Sendable, Equatable {
        var notificationID: String
        var sourceStream: String
        var sourceID: String
        var eventID: String
        var channel: String
        var kind: String
        var recipient: String
        var status: String
        var attempts: Int
        var lastError: String?
        var delivered: Bool
    }

    func rows() async throws -> [Row] {
        try await self.database.query("""
            SELECT notification_id::text, source_stream, source_id, event_id::text, channel, kind, recipient, status,
                   attempts, last_error, delivered_at IS NOT NULL
            FROM notifications ORDER BY created_at, notification_id
            """).rows.map { row in
            Row(
                notificationID: try row.decode(0, as: String.self), sourceStream: try row.decode(1, as: String.self),
                sourceID: try row.decode(2, as: String.self), eventID: try row.decode(3, as: String.self),
                channel: try row.decode(4, as: String.self), kind: try row.decode(5, as: String.self),
                recipient: try row.decode(6, as: String.self), status: try row.decode(7, as: String.self),
                attempts: try row.decode(8, as: Int.self), lastError: try row.decode(9, as: String?.self),
                delivered: try row.decode(10, as: Bool.self)
            )
        }
    }

    func deliveredCount() async throws -> Int {
        try await self.database.query("SELECT count(*) FROM notifications WHERE status = 'delivered'").first!.decode(0, as: Int.self)
    }

    /// `payflow:dlq:<group>`, each entry's fields as a dictionary.
    func deadLetters() async throws -> [[String: String]] {
        let reply = try await self.redis.send(RedisCommand("XRANGE", ConsumerGroupConfiguration.deadLetterStream(forGroup: self.group), "-", "+"))
        return (reply.array ?? []).map { item in
            Dictionary(Self.pairs(item.array?.last ?? .null).map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Entries read by the group and not acked, over the three streams.
    func pendingCount() async throws -> Int {
        var total = 0
        for stream in self.streams {
            let summary = try await self.redis.send(RedisCommand("XPENDING", stream, self.group))
            total += summary.array?.first?.integer.map(Int.init) ?? 0
        }
        return total
    }

    // MARK: - Running the service

    func handler(channel: any NotificationChannel, concurrency: Int = 16) async throws -> (NotificationHandler, PostgresConnection) {
        let connection = try await PostgresConnection.connect(url: self.databaseURL, logger: Self.quietLogger)
        let handler = NotificationHandler(
            database: connection, channel: channel, templates: try NotificationTemplates(), concurrency: concurrency,
            eventsStream: self.eventsStream, alertsStream: self.alertsStream, mismatchesStream: self.mismatchesStream
        )
        return (handler, connection)
    }

    /// The default timeout is generous on purpose: an attempt that times out is
    /// re-sent (same key), and on a loaded CI machine a 2 s deadline turned
    /// "exactly once" into "once, plus a re-send the receiver must dedupe".
    /// Tests about timeouts pass their own.
    func webhookChannel(url: String, secret: WebhookSecret = .random(), maxAttempts: Int = 3, timeout: Duration = .seconds(30)) -> WebhookChannel {
        WebhookChannel(
            settings: WebhookSettings(url: url, secret: secret, timeout: timeout, maxAttempts: maxAttempts, backoff: .milliseconds(10)),
            logger: Self.quietLogger
        )
    }

    /// Fast claims so that retries happen within a test; `claimMinIdle`
    /// stays above a batch's delivery time unless a test wants otherwise.
    func groupConfiguration(claimMinIdle: Duration = .seconds(30), maxDeliveries: Int = 5) -> ConsumerGroupConfiguration {
        var configuration = ConsumerGroupConfiguration(
            group: self.group, streams: self.streams, consumerName: "test-consumer"
        )
        configuration.block = .milliseconds(100)
        configuration.claimMinIdle = claimMinIdle
        configuration.claimInterval = .milliseconds(100)
        configuration.maxDeliveries = maxDeliveries
        configuration.maxRetryBackoff = .milliseconds(200)
        return configuration
    }

    /// Runs one notification consumer while `body` runs, then shuts it down
    /// gracefully and waits for it.
    func whileRunning(
        channel: any NotificationChannel,
        claimMinIdle: Duration = .seconds(30),
        maxDeliveries: Int = 5,
        _ body: @Sendable (ConsumerGroupService<NotificationHandler>) async throws -> Void
    ) async throws {
        let (handler, connection) = try await self.handler(channel: channel)
        let consumer = ConsumerGroupService(
            configuration: self.groupConfiguration(claimMinIdle: claimMinIdle, maxDeliveries: maxDeliveries),
            redis: self.redisConfiguration, handler: handler, logger: Self.quietLogger
        )
        let result: Result<Void, any Error>
        do {
            try await withServicesRunning([consumer]) { try await body(consumer) }
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await connection.close()
        try result.get()
    }
}
