import Foundation
import PayFlowPostgres
import PayFlowReconciliation
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The sweep's backstop for `duplicate_event`: two replicas that record the
/// two entries of one event at the same instant cannot see each other's row,
/// so neither handler reports it; the sweep groups the recent seen rows again.
///
/// Since issue 13 the backstop runs once per margin (10 s), not on every
/// sweep: these tests write the racing rows by hand (what the two handlers
/// would leave) and move the backstop's cursor instead of waiting.
@Suite("Reconciliation duplicate backstop")
struct DuplicateBackstopTests {
    @Test func aRaceTheHandlersMissedIsFoundOncePerMarginWithItsEntries() async throws {
        try await IntegrationFixture.with { base in
            let sweeper = Self.sweeper(base)

            // The first pass finds the first race and starts the cursor.
            let first = UUID()
            try await Self.insertRacingRows(of: first, in: base.database)
            let firstPass = try await sweeper.sweep()
            #expect(firstPass.ran)
            #expect(firstPass.inserted == ["duplicate_event"])
            #expect(try await Self.duplicateText(of: first, in: base.database) == "2 stream entries: 1-0,2-0")

            // A race right after: the next sweeps (within the margin) leave it.
            // The cursor is set to now first, so that a starved machine that
            // took ten seconds to get here does not make the pass due.
            let second = UUID()
            try await Self.insertRacingRows(of: second, in: base.database)
            try await base.database.query("UPDATE reconciliation_sweep_state SET swept_until = now() WHERE name = 'duplicate_event'")
            #expect(try await sweeper.sweep().inserted.isEmpty, "the backstop ran again within its margin")
            #expect(try await Self.duplicateText(of: second, in: base.database) == nil)

            // Once a margin has passed since the previous pass, the next one
            // reads from the previous pass minus the margin: the race is found,
            // and the first one is not reported again. (The previous pass as if
            // it had run when the race was recorded, and over a margin ago.)
            try await base.database.query(
                """
                UPDATE reconciliation_sweep_state
                SET swept_until = least(now() - interval '11 seconds',
                                        (SELECT min(first_seen_at) FROM reconciliation_seen WHERE transaction_id = $1))
                WHERE name = 'duplicate_event'
                """,
                [second]
            )
            #expect(try await sweeper.sweep().inserted == ["duplicate_event"])
            #expect(try await Self.duplicateText(of: second, in: base.database) == "2 stream entries: 1-0,2-0")
            let duplicates = try await base.database.query(
                "SELECT count(*) FROM reconciliation_mismatches WHERE kind = 'duplicate_event'"
            ).rows[0].decode(0, as: Int.self)
            #expect(duplicates == 2)
        }
    }

    /// A race across the previous pass: one entry recorded 25 s ago by a
    /// statement that was slow to commit, the other 16 s ago, and the previous
    /// pass 11 s ago, before the second committed. Both rows are within two
    /// margins of that pass, so this pass groups them; the text also names an
    /// entry of the same event recorded an hour before, which the handler had
    /// seen and the window has not.
    @Test func aRaceAcrossThePreviousPassIsFoundWithEveryEntryOfItsEvent() async throws {
        try await IntegrationFixture.with { base in
            let sweeper = Self.sweeper(base)
            let transaction = UUID()
            try await base.database.query(
                """
                INSERT INTO reconciliation_seen (transaction_id, stream, entry_id, type, account, amount, currency, checked_at, first_seen_at)
                SELECT $1, 'payflow:events', entry_id, 'payment', 'acc-000001', 1250, 'EUR', now(), now() - seconds * interval '1 second'
                FROM unnest(ARRAY['0-0', '1-0', '2-0'], ARRAY[3600, 25, 16]) AS e (entry_id, seconds)
                """,
                [transaction]
            )
            try await base.database.query(
                """
                INSERT INTO reconciliation_sweep_state (name, swept_until) VALUES ('duplicate_event', now() - interval '11 seconds')
                ON CONFLICT (name) DO UPDATE SET swept_until = EXCLUDED.swept_until
                """
            )
            #expect(try await sweeper.sweep().inserted == ["duplicate_event"])
            #expect(try await Self.duplicateText(of: transaction, in: base.database) == "3 stream entries: 0-0,1-0,2-0")
        }
    }

    /// A sweeper over a stream nobody reads: the watermark is unknown, so a
    /// pass skips missing_in_stream and only the backstop can report.
    private static func sweeper(_ base: IntegrationFixture) -> ReconciliationSweeper {
        let progress = GroupProgress(
            of: ConsumerGroupConfiguration(group: "reconciliation", streams: [base.uniqueName("backstop")]),
            redis: base.redis
        )
        return ReconciliationSweeper(
            database: base.database, progress: progress,
            settings: ReconciliationSettings(grace: .seconds(30)), logger: ReconciliationFixture.quietLogger
        )
    }

    /// Two checked seen rows of one transaction: what two replicas that each
    /// recorded one of its entries at the same instant leave behind.
    private static func insertRacingRows(of transaction: UUID, in database: PostgresConnection) async throws {
        try await database.query(
            """
            INSERT INTO reconciliation_seen (transaction_id, stream, entry_id, type, account, amount, currency, checked_at)
            SELECT $1, 'payflow:events', entry_id, 'payment', 'acc-000001', 1250, 'EUR', now()
            FROM unnest(ARRAY['2-0', '1-0']) AS e (entry_id)
            """,
            [transaction]
        )
    }

    private static func duplicateText(of transaction: UUID, in database: PostgresConnection) async throws -> String? {
        try await database.query(
            "SELECT actual FROM reconciliation_mismatches WHERE transaction_id = $1 AND kind = 'duplicate_event'", [transaction]
        ).rows.first?.decode(0, as: String.self)
    }
}
