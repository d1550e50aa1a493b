import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis

/// The generator's world in PostgreSQL (`db/0010_generator_world.sql`): read
/// at the start of a process, written with every batch.
///
/// One generator writes one database: two generators on the same data would
/// write the same world, as they would write the same ledger.
struct WorldStore: Sendable {
    let database: PostgresConnection

    /// The latest world and what it needs to continue.
    struct Stored: Sendable {
        var identity: WorldIdentity
        /// nil until the world's first batch committed.
        var simulation: String?
        /// Stream messages of a batch committed but maybe not on the stream.
        var pending: String?
        var streamFloor: StreamEntryID?
    }

    func latest() async throws -> Stored? {
        let rows = try await self.database.query(
            "SELECT world, seed, accounts, currencies, simulation, pending, stream_floor FROM generator_worlds ORDER BY world DESC LIMIT 1"
        ).rows
        guard let row = rows.first else { return nil }
        let seedText = try row.decode("seed", as: String.self)
        guard let seed = UInt64(seedText) else {
            throw WorldStoreError("generator_worlds.seed is not a 64-bit unsigned integer: \(seedText)")
        }
        let codes = try row.decode("currencies", as: String.self).split(separator: ",").map(String.init)
        let currencies = try codes.map { code in
            guard let currency = Currency(code: code) else { throw WorldStoreError("generator_worlds.currencies has an unknown code: \(code)") }
            return currency
        }
        return Stored(
            identity: WorldIdentity(
                world: try row.decode("world", as: Int.self), seed: seed,
                accounts: try row.decode("accounts", as: Int.self), currencies: currencies
            ),
            simulation: try row.decode("simulation", as: String?.self),
            pending: try row.decode("pending", as: String?.self),
            streamFloor: try row.decode("stream_floor", as: String?.self).flatMap { StreamEntryID($0) }
        )
    }

    /// The saved accounts of a world, JSON by index: the folded states with
    /// the batches' changes not folded yet laid over them, the latest last.
    func accounts(of world: Int) async throws -> [Int: String] {
        var states: [Int: String] = [:]
        for row in try await self.database.query(Self.selectAccounts, [world]).rows {
            states[try row.decode(0, as: Int.self)] = try row.decode(1, as: String.self)
        }
        return states
    }

    /// $1 the world: each account's latest state, folded or not.
    static let selectAccounts = """
        SELECT DISTINCT ON (account_index) account_index, state FROM (
            SELECT account_index, state, 0::bigint AS batch_seq FROM generator_world_accounts WHERE world = $1
            UNION ALL
            SELECT \(Self.changedAccountIndex), \(Self.changedAccountState), c.batch_seq
            FROM generator_world_account_changes c, string_to_table(c.states, E'\\n') AS line
            WHERE c.world = $1
        ) s
        ORDER BY account_index, batch_seq DESC
        """

    func create(_ identity: WorldIdentity) async throws {
        try await self.database.query(
            """
            INSERT INTO generator_worlds (world, seed, accounts, currencies, account_prefix)
            VALUES ($1, $2, $3, $4, $5) ON CONFLICT (world) DO NOTHING
            """,
            [identity.world, String(identity.seed), identity.accounts, identity.currencyList, identity.accountPrefix]
        )
    }

    /// A new run of `world`: the next run number.
    func beginRun(world: Int, seed: UInt64) async throws -> Int {
        let rows = try await self.database.query(
            """
            INSERT INTO generator_runs (run_id, world, seed)
            SELECT coalesce(max(run_id), 0) + 1, $1, $2 FROM generator_runs
            RETURNING run_id
            """,
            [world, String(seed)]
        ).rows
        return try rows[0].decode(0, as: Int.self)
    }

    /// Records what shapes a run's events from step `step` on
    /// (`db/0017_generator_configuration_changes.sql`): the run's first
    /// configuration at step 0, then every live change.
    func recordConfiguration(run: Int, atStep step: Int, configuration: GeneratorConfiguration) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(configuration), as: UTF8.self)
        try await self.database.query(
            """
            INSERT INTO generator_configuration_changes (run_id, at_step, configuration) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (run_id, at_step) DO UPDATE SET configuration = EXCLUDED.configuration, changed_at = now()
            """,
            [run, step, json]
        )
    }

    /// Writes a batch's checkpoint on `connection`, inside the batch's transaction.
    static func write(_ checkpoint: BatchCheckpoint, pending: String, on connection: PostgresConnection) async throws {
        if !checkpoint.accounts.isEmpty {
            let held = try await connection.query(
                Self.insertChanges, [checkpoint.world, Self.changeLines(checkpoint.accounts)]
            ).rows[0].decode(0, as: Int.self)
            if held >= Self.batchesPerFold {
                try await connection.query(Self.foldChanges, [checkpoint.world])
            }
        }
        try await connection.query(
            "UPDATE generator_worlds SET simulation = $2, pending = $3, updated_at = now() WHERE world = $1",
            [checkpoint.world, checkpoint.simulation, pending]
        )
        try await connection.query(
            """
            UPDATE generator_runs
            SET first_event_at = coalesce(first_event_at, $2::timestamptz), last_event_at = greatest(last_event_at, $3::timestamptz)
            WHERE run_id = $1
            """,
            [checkpoint.run, checkpoint.firstEventAt.description, checkpoint.lastEventAt.description]
        )
    }

    /// How many batches' account changes a world holds before a batch folds
    /// them into `generator_world_accounts`
    /// (`db/0026_generator_world_account_changes.sql`).
    ///
    /// Why 64: a batch of 500 events touches some 450 accounts of 10,000, so
    /// 64 batches touch about 9,500 distinct accounts in 29,000 touches; one
    /// fold upserts each once, a third of the rows the batches would have
    /// written. More batches per fold save a little more and make a restart
    /// read more: at most 64 rows of some 250 kB of text each.
    static let batchesPerFold = 64

    /// $1 the world, $2 the batch's accounts as ``changeLines(_:)``; returns
    /// how many batches' changes the world holds with this one.
    ///
    /// The count's snapshot precedes the insert, hence the `+ 1`.
    static let insertChanges = """
        WITH inserted AS (INSERT INTO generator_world_account_changes (world, states) VALUES ($1, $2))
        SELECT count(*) + 1 FROM generator_world_account_changes WHERE world = $1
        """

    /// $1 the world: each account's latest change goes into
    /// `generator_world_accounts`, and the changes are deleted.
    static let foldChanges = """
        WITH folded AS (
            DELETE FROM generator_world_account_changes WHERE world = $1 RETURNING batch_seq, states
        )
        INSERT INTO generator_world_accounts (world, account_index, state)
        SELECT DISTINCT ON (account_index) $1::integer, account_index, state FROM (
            SELECT \(Self.changedAccountIndex) AS account_index, \(Self.changedAccountState) AS state, f.batch_seq
            FROM folded f, string_to_table(f.states, E'\\n') AS line
        ) c
        ORDER BY account_index, batch_seq DESC
        ON CONFLICT (world, account_index) DO UPDATE SET state = EXCLUDED.state
        """

    /// A change line's account index and state, as SQL over `line`.
    private static let changedAccountIndex = "split_part(line, E'\\t', 1)::integer"
    private static let changedAccountState = "substr(line, strpos(line, E'\\t') + 1)"

    /// One line per account, `<index> TAB <state JSON>`, the lines joined by
    /// newlines: one text value for the batch, which PostgreSQL stores as it
    /// comes (an array of states would be parsed element by element). A state
    /// is ``CheckpointJSON``, which escapes every control character, so it
    /// holds neither separator.
    static func changeLines(_ accounts: [(index: Int, state: String)]) -> String {
        var text = ""
        text.reserveCapacity(accounts.reduce(0) { $0 + $1.state.utf8.count + 8 })
        for (position, account) in accounts.enumerated() {
            if position > 0 { text += "\n" }
            text += String(account.index)
            text += "\t"
            text += account.state
        }
        return text
    }

    /// The outbox is on the stream: forget it, remember where it ended.
    func clearPending(world: Int, streamFloor: StreamEntryID) async throws {
        try await self.database.query(
            "UPDATE generator_worlds SET pending = NULL, stream_floor = $2 WHERE world = $1",
            [world, streamFloor.description]
        )
    }
}

/// The stored world cannot be read back.
struct WorldStoreError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
