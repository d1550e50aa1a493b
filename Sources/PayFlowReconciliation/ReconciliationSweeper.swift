import Logging
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// The periodic half of reconciliation: what cannot be decided when an event
/// is handled because it depends on time passing.
///
/// One pass, in one transaction:
/// 1. events still waiting for their ledger row: compared as soon as the row
///    is there; `missing_in_reference` once `grace` has passed since the event
///    was first seen without it;
/// 2. the backstop for `duplicate_event`: two replicas that handled the two
///    entries of one event at the same instant could not see each other's
///    rows; recent seen rows are grouped again;
/// 3. `missing_in_stream`: ledger rows recorded more than `grace` before both
///    now and the group's ``ConsumptionWatermark`` that no event matched. A
///    cursor (`reconciliation_sweep_state`) makes each pass read only the rows
///    that became old enough since the previous one.
///
/// Several replicas run it: the pass takes `pg_try_advisory_xact_lock` and a
/// replica that does not get it skips that pass (another is doing the same
/// work). Correctness does not depend on the lock: every insert is
/// `ON CONFLICT (transaction_id, kind) DO NOTHING` and the cursor only moves
/// forward (`GREATEST`); the lock only saves duplicate work.
public struct ReconciliationSweeper: Sendable {
    /// "PFRecSwp" in ASCII; fixed so that every replica agrees on it.
    static let advisoryLockKey: Int64 = 0x5046_5265_6353_7770

    /// What one pass did.
    public struct Pass: Sendable, Equatable {
        /// False when another replica held the lock and this pass did nothing.
        public var ran: Bool
        /// Kinds of the mismatches this pass inserted.
        public var inserted: [String]
    }

    let database: PostgresConnection
    let progress: GroupProgress
    let settings: ReconciliationSettings
    let logger: Logger

    /// - Parameter progress: The reconciliation group's progress on
    ///   `payflow:events`: `missing_in_stream` blames only ledger rows whose
    ///   event the group has certainly had the chance to record.
    public init(database: PostgresConnection, progress: GroupProgress, settings: ReconciliationSettings, logger: Logger) {
        self.database = database
        self.progress = progress
        self.settings = settings
        self.logger = logger
    }

    /// One sweep. Throws when PostgreSQL or Redis fails; the next pass redoes it.
    @discardableResult
    public func sweep() async throws -> Pass {
        // Read before the transaction starts, so the watermark is never later
        // than the snapshot the queries see.
        let watermark = try await self.progress.watermark()
        let grace = self.settings.grace.reconciliationMilliseconds
        let pass = try await self.database.withTransaction { connection -> Pass in
            let locked = try await connection.query("SELECT pg_try_advisory_xact_lock($1)", [Self.advisoryLockKey])
            guard try locked.first?.decode(0, as: Bool.self) == true else { return Pass(ran: false, inserted: []) }
            var inserted: [String] = []
            inserted += try await connection.query(Self.recheckWaiting, [grace]).rows.map { try $0.decode(0, as: String.self) }
            if try await connection.query(Self.duplicatesBackstopDue).rows[0].decode(0, as: Bool.self) {
                inserted += try await connection.query(Self.duplicatesBackstop).rows.map { try $0.decode(0, as: String.self) }
            }
            switch watermark {
            case .unknown:
                break
            case .caughtUp:
                inserted += try await connection.query(Self.missingInStream, [grace, nil]).rows.map { try $0.decode(0, as: String.self) }
            case .processedThrough(let milliseconds):
                inserted += try await connection.query(Self.missingInStream, [grace, Int64(clamping: milliseconds)]).rows.map { try $0.decode(0, as: String.self) }
            }
            return Pass(ran: true, inserted: inserted)
        }
        MismatchMetrics.record(kinds: pass.inserted)
        if !pass.inserted.isEmpty {
            self.logger.info("Sweep found mismatches", metadata: ["count": "\(pass.inserted.count)", "watermark": "\(watermark)"])
        }
        return pass
    }

    // MARK: - SQL

    /// $1 grace (ms). Rows whose ledger row has appeared are compared; rows
    /// still without one after the grace period are `missing_in_reference`.
    static let recheckWaiting = """
        WITH due AS (
            SELECT s.transaction_id, s.entry_id, s.type, s.account, s.amount, s.currency,
                   r.transaction_id IS NOT NULL AS in_ledger,
                   r.account AS ledger_account, r.amount AS ledger_amount, r.currency::text AS ledger_currency
            FROM reconciliation_seen s LEFT JOIN reference_transactions r ON r.transaction_id = s.transaction_id
            WHERE s.checked_at IS NULL
              AND (r.transaction_id IS NOT NULL OR s.first_seen_at <= now() - $1::bigint * interval '1 millisecond')
        ),
        marked AS (
            UPDATE reconciliation_seen s SET checked_at = now() FROM due
            WHERE s.transaction_id = due.transaction_id AND s.entry_id = due.entry_id
        ),
        found (transaction_id, kind, expected, actual) AS (
            SELECT transaction_id, 'missing_in_reference', 'no ledger row',
                   type || ' ' || amount || ' ' || currency || ' ' || account || ' (entry ' || entry_id || ')'
            FROM due WHERE NOT in_ledger
            UNION ALL
            \(ReconciliationHandler.comparisons(from: "due", present: "in_ledger"))
        ),
        inserted AS (
            INSERT INTO reconciliation_mismatches (transaction_id, kind, expected, actual)
            SELECT DISTINCT ON (transaction_id, kind) transaction_id, kind, expected, actual FROM found
            ON CONFLICT (transaction_id, kind) DO NOTHING
            RETURNING kind
        )
        SELECT kind FROM inserted
        """

    /// The longest a handler statement is assumed to run, which sets how far
    /// back of the previous backstop pass the next one reads (two margins, see
    /// ``duplicatesBackstop``), and also how often it runs: once per margin,
    /// not once per sweep.
    static let duplicatesMargin = "interval '10 seconds'"

    /// Whether a margin has passed since the previous backstop pass.
    ///
    /// Asked first because planning and starting ``duplicatesBackstop`` costs
    /// even when it then reads nothing: its grouping's hash table is sized for
    /// the rows the planner expects (measured: 12.5 ms a pass that was not
    /// due, over 200,000 seen rows, against 0.2 ms for this question).
    static let duplicatesBackstopDue = """
        SELECT coalesce((SELECT swept_until <= now() - \(duplicatesMargin)
                         FROM reconciliation_sweep_state WHERE name = 'duplicate_event'), true)
        """

    /// Seen rows since the previous pass minus two margins, grouped by
    /// transaction; nothing at all (not even the cursor moves) until a margin
    /// has passed since the previous pass.
    ///
    /// Why both entries of a race are in that window: two handler statements
    /// race only when each started before the other committed. Let B be one
    /// that committed after the previous pass (at `swept_until`) took its
    /// snapshot; had both committed before, that pass would have grouped
    /// them. B started less than a margin before it committed, so after
    /// `swept_until` minus one margin; the other, A, committed after B
    /// started and started less than a margin before that: after
    /// `swept_until` minus two margins. Each row's `first_seen_at` is its
    /// statement's start. So the pass groups only the window's rows, and its
    /// cost follows the rows seen lately, not the table: grouping every row
    /// of each recent transaction, by joins, had the planner hash a
    /// sequential scan of all of `reconciliation_seen` every pass (measured:
    /// 490 ms a pass over 200,000 rows), a cost that grew until retention.
    ///
    /// Why once per margin: run every second, the pass would read every seen
    /// row some twenty times; every ten seconds, about three times. The race
    /// it backs up is rare (two replicas handling the two entries of one
    /// event at the same instant), so finding it up to a margin later costs
    /// nothing the grace period does not already wait. The text lists every
    /// entry of a doubled transaction, older ones too, looked up by key.
    static let duplicatesBackstop = """
        WITH state AS (
            SELECT coalesce((SELECT swept_until FROM reconciliation_sweep_state WHERE name = 'duplicate_event'),
                            '-infinity'::timestamptz) AS swept_until
        ),
        bounds AS (
            SELECT swept_until - 2 * \(duplicatesMargin) AS after FROM state
            WHERE swept_until <= now() - \(duplicatesMargin)
        ),
        doubled AS (
            SELECT s.transaction_id FROM reconciliation_seen s, bounds WHERE s.first_seen_at > bounds.after
            GROUP BY s.transaction_id HAVING count(*) > 1
        ),
        found AS (
            SELECT d.transaction_id, e.entries || ' stream entries: ' || e.list AS actual
            FROM doubled d CROSS JOIN LATERAL (
                SELECT count(*) AS entries, string_agg(s.entry_id, ',' ORDER BY s.entry_id) AS list
                FROM reconciliation_seen s WHERE s.transaction_id = d.transaction_id
            ) e
        ),
        advanced AS (
            INSERT INTO reconciliation_sweep_state (name, swept_until) SELECT 'duplicate_event', now() FROM bounds
            ON CONFLICT (name) DO UPDATE SET swept_until = GREATEST(reconciliation_sweep_state.swept_until, EXCLUDED.swept_until)
        ),
        inserted AS (
            INSERT INTO reconciliation_mismatches (transaction_id, kind, expected, actual)
            SELECT transaction_id, 'duplicate_event', '1 stream entry', actual FROM found
            ON CONFLICT (transaction_id, kind) DO NOTHING
            RETURNING kind
        )
        SELECT kind FROM inserted
        """

    /// $1 grace (ms), $2 the watermark (Unix ms; NULL when the group has
    /// caught up, which `LEAST` ignores). Ledger rows recorded in
    /// (cursor, min(now, watermark) - grace] with no seen row.
    ///
    /// The seen row is looked up per ledger row by key (`LATERAL ... LIMIT
    /// 1`): written as `NOT EXISTS`, the planner hashed a sequential scan of
    /// all of `reconciliation_seen` on every pass, a cost that grew with the
    /// table, for the second's few hundred ledger rows.
    static let missingInStream = """
        WITH bounds AS (
            SELECT coalesce((SELECT swept_until FROM reconciliation_sweep_state WHERE name = 'missing_in_stream'),
                            '-infinity'::timestamptz) AS after,
                   LEAST(now(), to_timestamp($2::bigint / 1000.0)) - $1::bigint * interval '1 millisecond' AS until
        ),
        candidates AS (
            SELECT r.transaction_id, r.type, r.amount, r.currency::text AS currency, r.account
            FROM reference_transactions r CROSS JOIN bounds
            LEFT JOIN LATERAL (
                SELECT true AS hit FROM reconciliation_seen s WHERE s.transaction_id = r.transaction_id LIMIT 1
            ) seen ON true
            WHERE r.recorded_at > bounds.after AND r.recorded_at <= bounds.until AND seen.hit IS NULL
        ),
        advanced AS (
            INSERT INTO reconciliation_sweep_state (name, swept_until) SELECT 'missing_in_stream', until FROM bounds
            ON CONFLICT (name) DO UPDATE SET swept_until = GREATEST(reconciliation_sweep_state.swept_until, EXCLUDED.swept_until)
        ),
        inserted AS (
            INSERT INTO reconciliation_mismatches (transaction_id, kind, expected, actual)
            SELECT transaction_id, 'missing_in_stream', type || ' ' || amount || ' ' || currency || ' ' || account, 'no stream entry'
            FROM candidates
            ON CONFLICT (transaction_id, kind) DO NOTHING
            RETURNING kind
        )
        SELECT kind FROM inserted
        """
}
