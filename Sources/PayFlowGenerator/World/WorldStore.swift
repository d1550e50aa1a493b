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
        /// Where the stream ended after the last batch put on it, one id per
        /// shard in shard order (`stream_floor`: the ids joined by commas; one
        /// id before `EVENT_SHARDS`).
        var streamFloors: [StreamEntryID]?
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
            streamFloors: try row.decode("stream_floor", as: String?.self).map { $0.split(separator: ",").compactMap { StreamEntryID(String($0)) } }
        )
    }

    /// The saved accounts of a world, JSON by index: the folded states with
    /// the batches' changes not folded yet laid over them in batch order.
    func accounts(of world: Int) async throws -> [Int: String] {
        var states: [Int: String] = [:]
        for row in try await self.database.query(
            "SELECT account_index, state FROM generator_world_accounts WHERE world = $1", [world]
        ).rows {
            states[try row.decode(0, as: Int.self)] = try row.decode(1, as: String.self)
        }
        for row in try await self.database.query(
            "SELECT states FROM generator_world_account_changes WHERE world = $1 ORDER BY batch_seq", [world]
        ).rows {
            try AccountChangeLines.lay(try row.decode(0, as: String.self), over: &states)
        }
        return states
    }

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
                Self.insertChanges, [checkpoint.world, AccountChangeLines.text(checkpoint.accounts)]
            ).rows[0].decode(0, as: Int.self)
            if held >= Self.batchesPerFold {
                try await Self.foldChanges(of: checkpoint.world, on: connection)
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
    /// Why 64: in `make bench` a batch of 500 events touches some 456 of the
    /// world's 10,000 accounts, and 64 batches touch about 8,500 distinct
    /// accounts in 29,000 touches: a fold upserts each once, under a third of
    /// the rows the batches would have written. More batches per fold save a
    /// little more and make a fold and a restart read more: at most 64 rows of
    /// up to ~430 kB of text each (about half that stored, lz4).
    static let batchesPerFold = 64

    /// $1 the world, $2 the batch's accounts as ``AccountChangeLines``;
    /// returns how many batches' changes the world holds with this one.
    ///
    /// The count's snapshot precedes the insert, hence the `+ 1`.
    static let insertChanges = """
        WITH inserted AS (INSERT INTO generator_world_account_changes (world, states) VALUES ($1, $2))
        SELECT count(*) + 1 FROM generator_world_account_changes WHERE world = $1
        """

    /// Moves a world's changes into `generator_world_accounts`: each changed
    /// account's latest state, upserted once.
    ///
    /// The lines are parsed here rather than in SQL: splitting the text and
    /// sorting the lines in PostgreSQL cost it ~900 ms a fold of 64 batches
    /// (measured), most of what folding saves. The fold holds the batches'
    /// text in memory while it runs: at most some 27 MB, once per 64 batches.
    static func foldChanges(of world: Int, on connection: PostgresConnection) async throws {
        let changes = try await connection.query(
            "DELETE FROM generator_world_account_changes WHERE world = $1 RETURNING batch_seq, states", [world]
        ).rows.map { (batch: try $0.decode(0, as: Int64.self), states: try $0.decode(1, as: String.self)) }
        var latest: [Int: String] = [:]
        for change in changes.sorted(by: { $0.batch < $1.batch }) {
            try AccountChangeLines.lay(change.states, over: &latest)
        }
        let accounts = latest.sorted { $0.key < $1.key }
        try await connection.query(Self.upsertAccounts, [
            world,
            PostgresArrayLiteral.integers(accounts.map { Int64($0.key) }),
            PostgresArrayLiteral.text(accounts.map(\.value)),
        ])
    }

    /// $1 the world, $2 the accounts' indexes, $3 their states.
    ///
    /// Arrays rather than a multi-row `VALUES` list, as for the ledger rows
    /// (``EventEmitter/insertLedger``): one statement of fixed size, so
    /// PostgreSQL no longer parses three parameters per account nor keeps one
    /// statement per count of accounts (issue 13).
    static let upsertAccounts = """
        INSERT INTO generator_world_accounts (world, account_index, state)
        SELECT $1::integer, account_index, state FROM unnest($2::integer[], $3::text[]) AS a (account_index, state)
        ON CONFLICT (world, account_index) DO UPDATE SET state = EXCLUDED.state
        """

    /// The outbox is on the stream: forget it, remember where it ended.
    func clearPending(world: Int, streamFloors: [StreamEntryID]) async throws {
        try await self.database.query(
            "UPDATE generator_worlds SET pending = NULL, stream_floor = $2 WHERE world = $1",
            [world, streamFloors.map(\.description).joined(separator: ",")]
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
