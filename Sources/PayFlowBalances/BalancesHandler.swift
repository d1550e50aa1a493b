import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// The `balances` group's handler: applies each transaction to its
/// account's running balance, once, in one SQL statement per batch.
///
/// Exact under redelivery because the statement first inserts the batch's
/// event ids into `balance_entries` (`ON CONFLICT DO NOTHING`) and sums only
/// the rows that insert really added. A redelivered entry, a second replica
/// handling the same entry after a claim, or the read and claim loops racing
/// all meet at that primary key: the second writer waits for the first to
/// commit, then adds nothing. One statement needs no transaction block,
/// which is how it meets the concurrency contract of ``ConsumerGroupHandler``
/// with one connection.
public struct BalancesHandler: ConsumerGroupHandler {
    public typealias Message = PaymentEvent

    let database: PostgresConnection

    public init(database: PostgresConnection) {
        self.database = database
    }

    /// The strict decoder every service shares: an entry that does not parse
    /// is dead-lettered at once by the runtime, with the decoder's message.
    public func decode(_ entry: StreamEntry) throws -> PaymentEvent {
        try PaymentEvent(fields: entry.fields)
    }

    public func handle(_ batch: [Delivery<PaymentEvent>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        // One change per event id: a batch may hold two entries of one event.
        var seen: Set<UUID> = []
        var ids: [String] = []
        var changes: [BalanceChange] = []
        for delivery in batch {
            guard let change = BalanceChange(delivery.message), seen.insert(delivery.message.id).inserted else { continue }
            ids.append(delivery.message.id.lowercasedText)
            changes.append(change)
        }
        if !changes.isEmpty {
            _ = try await self.database.query(Self.apply, [
                PostgresArrayLiteral.text(ids),
                PostgresArrayLiteral.text(changes.map(\.account)),
                PostgresArrayLiteral.text(changes.map(\.currency.code)),
                PostgresArrayLiteral.integers(changes.map(\.delta)),
            ])
        }
        return batch.outcomes(.done)
    }

    /// $1 event ids, $2 accounts, $3 currencies, $4 deltas. Accounts are
    /// updated in key order, so two batches touching the same accounts lock
    /// them in the same order and cannot deadlock.
    static let apply = """
        WITH batch AS (
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[]) AS b (event_id, account, currency, delta)
        ), applied AS (
            INSERT INTO balance_entries (event_id, account, currency, delta)
            SELECT event_id, account, currency, delta FROM batch
            ON CONFLICT (event_id) DO NOTHING
            RETURNING account, currency, delta
        )
        INSERT INTO account_balances (account, currency, balance, events)
        SELECT account, currency, sum(delta), count(*) FROM applied
        GROUP BY account, currency
        ORDER BY account, currency
        ON CONFLICT (account, currency) DO UPDATE
            SET balance = account_balances.balance + EXCLUDED.balance,
                events = account_balances.events + EXCLUDED.events,
                updated_at = now()
        """
}
