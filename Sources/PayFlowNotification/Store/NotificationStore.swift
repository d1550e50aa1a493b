import Foundation
import PayFlowPostgres

/// The `notifications` table: what was delivered, so that a redelivered
/// entry is not notified twice.
///
/// Two statements per batch, each a single statement with the batch as array
/// parameters (`unnest`), so the handler meets the concurrency contract of
/// `ConsumerGroupHandler` with one connection (no transaction blocks):
/// 1. ``prepare(_:)`` before delivering: inserts the batch's rows as
///    `pending` (ON CONFLICT DO NOTHING) and returns the ids already
///    `delivered`, which the handler skips;
/// 2. ``record(_:)`` after delivering: one multi-row upsert of every outcome.
///    A `delivered` row stays `delivered` whatever is recorded after it.
///
/// For an in-process channel (the log) there is one statement instead of
/// two, see ``deliverOnce(_:deliver:)``: the row is written once, as
/// `delivered`, inside the transaction during which the lines are written.
public struct NotificationStore: Sendable {
    private let database: PostgresConnection
    private let gate = NotificationStoreGate()

    public init(database: PostgresConnection) {
        self.database = database
    }

    /// Records `messages` as `delivered` and calls `deliver` with those not
    /// delivered before, all in one transaction; returns their ids once it
    /// is committed.
    ///
    /// - The insert comes first: a row the database refuses throws before
    ///   anything is delivered, so the runtime's halving of the batch sends
    ///   no neighbour twice.
    /// - A row already `delivered` is not returned (skipped); a `pending` or
    ///   `failed` one (left by an earlier version's crash) is updated and
    ///   delivered now.
    /// - Two replicas on the same notification: the second insert waits for
    ///   the first transaction's row lock, then finds it `delivered`.
    /// - A crash or a failed COMMIT after `deliver`: nothing is recorded and
    ///   the entry is not acked, so it is delivered again, with the same id
    ///   (at least once, as before: the window is one COMMIT).
    public func deliverOnce(_ messages: [NotificationMessage], deliver: ([NotificationMessage]) -> Void) async throws -> Set<UUID> {
        guard !messages.isEmpty else { return [] }
        let database = self.database
        let columns = Self.columns(messages)
        await self.gate.acquire()
        do {
            let fresh = try await database.withTransaction { transaction in
                let rows = try await transaction.query(Self.deliverOnceStatement, columns).rows
                let fresh = Set(try rows.map { try $0.decode(0, as: UUID.self) })
                deliver(messages.filter { fresh.contains($0.id) })
                return fresh
            }
            await self.gate.release()
            return fresh
        } catch {
            await self.gate.release()
            throw error
        }
    }

    /// Makes sure every message has a row and returns the ids of those already delivered.
    public func prepare(_ messages: [NotificationMessage]) async throws -> Set<UUID> {
        guard !messages.isEmpty else { return [] }
        let result = try await self.database.query(Self.prepareStatement, Self.columns(messages))
        return Set(try result.rows.map { try $0.decode(0, as: UUID.self) })
    }

    /// One delivery outcome per message id.
    public struct Outcome: Sendable {
        public var message: NotificationMessage
        public var result: DeliveryResult

        public init(message: NotificationMessage, result: DeliveryResult) {
            self.message = message
            self.result = result
        }
    }

    /// Records every outcome in one statement; returns once it is committed.
    public func record(_ outcomes: [Outcome]) async throws {
        guard !outcomes.isEmpty else { return }
        var parameters = Self.columns(outcomes.map(\.message))
        parameters += [
            PostgresArrayLiteral.text(outcomes.map { $0.result.status == .delivered ? "delivered" : "failed" }),
            PostgresArrayLiteral.integers(outcomes.map { Int64($0.result.attempts) }),
            Self.nullableText(outcomes.map { $0.result.error.map(Self.storable) }),
        ]
        try await self.database.query(Self.recordStatement, parameters)
    }

    // MARK: - SQL

    private static func columns(_ messages: [NotificationMessage]) -> [(any PostgresEncodable)?] {
        [
            PostgresArrayLiteral.text(messages.map(\.idString)),
            PostgresArrayLiteral.text(messages.map(\.sourceStream)),
            PostgresArrayLiteral.text(messages.map(\.sourceID)),
            PostgresArrayLiteral.text(messages.map(\.eventID)),
            PostgresArrayLiteral.text(messages.map(\.channel.rawValue)),
            PostgresArrayLiteral.text(messages.map(\.kind.rawValue)),
            PostgresArrayLiteral.text(messages.map(\.recipient)),
        ]
    }

    /// An error as PostgreSQL text can keep it: a receiver's answer may hold
    /// a NUL byte, which text refuses. This statement runs after the
    /// deliveries, so a refusal here would make the runtime split the batch
    /// and send its delivered neighbours again; nothing it writes may be
    /// refused (every other column was accepted by ``prepare(_:)``).
    static func storable(_ error: String) -> String {
        error.contains("\u{0}") ? error.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") : error
    }

    /// A text array literal with `NULL` elements for nils.
    private static func nullableText(_ values: [String?]) -> String {
        "{" + values.map { value in
            guard let value else { return "NULL" }
            return String(PostgresArrayLiteral.text([value]).dropFirst().dropLast())
        }.joined(separator: ",") + "}"
    }

    private static let batch = """
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[])
            AS b (notification_id, source_stream, source_id, event_id, channel, kind, recipient)
        """

    /// Rows in id order, so that two replicas inserting overlapping batches
    /// take their row locks in the same order (no deadlock).
    static let deliverOnceStatement = """
        INSERT INTO notifications AS n (notification_id, source_stream, source_id, event_id, channel, kind, recipient,
                                        status, attempts, delivered_at)
        SELECT notification_id, source_stream, source_id, event_id, channel, kind, recipient, 'delivered', 1, now()
        FROM (\(batch)) AS b
        ORDER BY notification_id
        ON CONFLICT (notification_id) DO UPDATE SET
            status = 'delivered',
            attempts = n.attempts + 1,
            last_error = NULL,
            delivered_at = now(),
            updated_at = now()
        WHERE n.status <> 'delivered'
        RETURNING n.notification_id
        """

    /// The SELECT reads the snapshot from before the insert: rows delivered
    /// by an earlier statement, which is exactly the set to skip.
    static let prepareStatement = """
        WITH batch AS (\(batch)),
        inserted AS (
            INSERT INTO notifications (notification_id, source_stream, source_id, event_id, channel, kind, recipient)
            SELECT notification_id, source_stream, source_id, event_id, channel, kind, recipient FROM batch
            ON CONFLICT DO NOTHING
        )
        SELECT n.notification_id FROM notifications n JOIN batch b ON b.notification_id = n.notification_id
        WHERE n.status = 'delivered'
        """

    /// $8 statuses, $9 attempts made now, $10 errors (NULL when delivered).
    static let recordStatement = """
        INSERT INTO notifications AS n (notification_id, source_stream, source_id, event_id, channel, kind, recipient,
                                        status, attempts, last_error, delivered_at)
        SELECT notification_id, source_stream, source_id, event_id, channel, kind, recipient,
               status, attempts, last_error, CASE WHEN status = 'delivered' THEN now() END
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[],
                    $8::text[], $9::integer[], $10::text[])
            AS b (notification_id, source_stream, source_id, event_id, channel, kind, recipient, status, attempts, last_error)
        ON CONFLICT (notification_id) DO UPDATE SET
            status = CASE WHEN n.status = 'delivered' THEN 'delivered' ELSE EXCLUDED.status END,
            attempts = n.attempts + EXCLUDED.attempts,
            last_error = CASE WHEN n.status = 'delivered' THEN n.last_error ELSE EXCLUDED.last_error END,
            delivered_at = COALESCE(n.delivered_at, EXCLUDED.delivered_at),
            updated_at = now()
        """
}
