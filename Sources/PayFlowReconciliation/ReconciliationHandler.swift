import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// The `reconciliation` group's handler: compares each transaction event with
/// its ledger row and records what it saw, in one SQL statement per batch.
///
/// Why one statement: its data-modifying CTEs commit together (the seen rows
/// and the mismatches they imply can never be half written), and a single
/// statement needs no transaction block, which is how the handler meets the
/// concurrency contract of ``ConsumerGroupHandler`` with one
/// ``PostgresConnection`` (interleaved `BEGIN`s would not be safe).
///
/// What it decides at once, and what it leaves to ``ReconciliationSweeper``:
/// - ledger row present: amount, currency and account are compared now;
/// - ledger row absent: not a mismatch yet (the row may be committed a moment
///   later); the seen row keeps `checked_at` NULL and the sweep re-checks it
///   once the grace period has passed. Entries are acked either way: `.retry`
///   would spend delivery attempts and end in the dead-letter stream;
/// - duplicates: every row is keyed by (transaction id, stream entry id), so a
///   redelivery of one entry changes nothing while a second entry with the same
///   event id makes two rows, which is a `duplicate_event`. Two replicas that
///   insert the two entries at the same instant cannot see each other's rows;
///   the sweep's backstop finds that case.
public struct ReconciliationHandler: ConsumerGroupHandler {
    public typealias Message = PaymentEvent

    let database: PostgresConnection

    public init(database: PostgresConnection) {
        self.database = database
    }

    /// Strict decoding shared by every service: an entry that does not parse is
    /// dead-lettered at once by the runtime, with the decoder's message.
    public func decode(_ entry: StreamEntry) throws -> PaymentEvent {
        try PaymentEvent(fields: entry.fields)
    }

    public func handle(_ batch: [Delivery<PaymentEvent>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        // Account events have no ledger row: nothing to reconcile.
        let transactions = batch.filter { $0.message.type.isTransaction }
        guard !transactions.isEmpty else { return batch.outcomes(.done) }
        let result = try await self.database.query(Self.recordAndCompare, [
            PostgresArrayLiteral.text(transactions.map { $0.message.id.lowercasedText }),
            PostgresArrayLiteral.text(transactions.map(\.entry.stream)),
            PostgresArrayLiteral.text(transactions.map(\.entry.id.description)),
            PostgresArrayLiteral.text(transactions.map(\.message.type.rawValue)),
            PostgresArrayLiteral.text(transactions.map(\.message.account)),
            PostgresArrayLiteral.integers(transactions.map(\.message.amount)),
            PostgresArrayLiteral.text(transactions.map(\.message.currency.code)),
        ])
        MismatchMetrics.record(kinds: try result.rows.map { try $0.decode(0, as: String.self) })
        return batch.outcomes(.done)
    }

    /// $1 ids, $2 streams, $3 entry ids, $4 types, $5 accounts, $6 amounts,
    /// $7 currencies; returns the kind of every mismatch newly inserted.
    ///
    /// Two shapes are there for PostgreSQL's CPU, not for the result (issue 13):
    /// - the ledger row is looked up per event by primary key (`LATERAL ...
    ///   LIMIT 1`): as a plain join the planner hashed a sequential scan of the
    ///   whole ledger once the table had some ten thousand rows, every batch;
    /// - so are the earlier entries of the batch's events (`LATERAL ... OFFSET
    ///   0`, which keeps the planner from flattening it back into a join): as
    ///   `transaction_id = ANY ($1)` the planner's estimate of the matches grew
    ///   with the table and it chose a sequential scan of all of
    ///   `reconciliation_seen` per batch, the cost that grew with the history;
    /// - `doubled` finds the duplicates before their text is built: an
    ///   aggregate with `ORDER BY` starts a sort for every group, and grouping
    ///   every transaction of the batch that way was most of the statement's
    ///   time (~70 µs per event) to find, usually, none.
    static let recordAndCompare = """
        WITH batch AS (
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[])
                AS b (transaction_id, stream, entry_id, type, account, amount, currency)
        ),
        checked AS (
            SELECT b.*, r.transaction_id IS NOT NULL AS in_ledger,
                   r.account AS ledger_account, r.amount AS ledger_amount, r.currency::text AS ledger_currency
            FROM batch b LEFT JOIN LATERAL (
                SELECT transaction_id, account, amount, currency FROM reference_transactions
                WHERE transaction_id = b.transaction_id LIMIT 1
            ) r ON true
        ),
        recorded AS (
            INSERT INTO reconciliation_seen (transaction_id, stream, entry_id, type, account, amount, currency, checked_at)
            SELECT transaction_id, stream, entry_id, type, account, amount, currency, CASE WHEN in_ledger THEN now() END
            FROM checked
            ON CONFLICT (transaction_id, entry_id) DO NOTHING
        ),
        entries AS (
            SELECT transaction_id, entry_id FROM batch
            UNION
            SELECT s.transaction_id, s.entry_id FROM batch b CROSS JOIN LATERAL (
                SELECT transaction_id, entry_id FROM reconciliation_seen
                WHERE transaction_id = b.transaction_id OFFSET 0
            ) s
        ),
        doubled AS (
            SELECT transaction_id FROM entries GROUP BY transaction_id HAVING count(*) > 1
        ),
        found (transaction_id, kind, expected, actual) AS (
            \(ReconciliationHandler.comparisons(from: "checked", present: "in_ledger"))
            UNION ALL
            SELECT e.transaction_id, 'duplicate_event', '1 stream entry',
                   count(*) || ' stream entries: ' || string_agg(e.entry_id, ',' ORDER BY e.entry_id)
            FROM entries e JOIN doubled USING (transaction_id) GROUP BY e.transaction_id
        ),
        inserted AS (
            INSERT INTO reconciliation_mismatches (transaction_id, kind, expected, actual)
            SELECT DISTINCT ON (transaction_id, kind) transaction_id, kind, expected, actual FROM found
            ON CONFLICT (transaction_id, kind) DO NOTHING
            RETURNING kind
        )
        SELECT kind FROM inserted
        """

    /// The field comparisons, shared with the sweep's re-check so both report
    /// the same kinds with the same `expected` (ledger) / `actual` (event) text.
    /// `source` has the event's columns and `ledger_*` ones; `present` says
    /// whether the ledger row exists.
    static func comparisons(from source: String, present: String) -> String {
        """
        SELECT transaction_id, 'amount_mismatch', ledger_amount::text, amount::text
            FROM \(source) WHERE \(present) AND ledger_amount <> amount
            UNION ALL
            SELECT transaction_id, 'currency_mismatch', ledger_currency, currency
            FROM \(source) WHERE \(present) AND ledger_currency <> currency
            UNION ALL
            SELECT transaction_id, 'account_mismatch', ledger_account, account
            FROM \(source) WHERE \(present) AND ledger_account <> account
        """
    }
}
