-- The generator's simulated world, kept with the data it produced, so that a
-- second run on kept data (a restart, `kill -9`, stop then start) continues
-- that world instead of replaying a new one over it.
--
-- Before this, every generator process started its simulation again: the
-- same accounts at the same business time, with fresh balances and no
-- memory of blocks or travels, while anti-fraud's per-account state and the
-- ledger still held the first run's history. The histories mixed and the
-- second run's precision collapsed (issue 18).
--
-- One row per world. A world is a seed, a population size and a currency
-- list: the account profiles follow from them. Its state after the last
-- committed batch (the random generator, the business clock, the order of
-- blocked accounts) is written in the same transaction as that batch's ledger
-- rows, and the accounts the batch touched go to generator_world_accounts in
-- that transaction too. A run that starts on kept data with a compatible
-- configuration rebuilds the profiles from the seed and lays the saved state
-- over them; an incompatible one starts a new world with its own account
-- namespace (`w2-acc-000001` ...), so the two never share an account.
CREATE TABLE generator_worlds (
    world          integer     PRIMARY KEY,
    -- The UInt64 seed as decimal text (bigint is signed).
    seed           text        NOT NULL,
    accounts       integer     NOT NULL,
    -- Comma-separated ISO 4217 codes, in configuration order.
    currencies     text        NOT NULL,
    -- `acc-` for world 1 (the ids a fresh run has always had), `w<N>-acc-` after.
    account_prefix text        NOT NULL,
    -- JSON: random generator state, business clock, blocked order; null until
    -- the first batch committed.
    simulation     text,
    -- The transactional outbox: the stream messages of the last committed
    -- batch, as JSON, until they are on the stream. A generator killed
    -- between its commit and its XADD finds them here on restart and
    -- publishes what the stream lacks (issue 15, 4a).
    pending        text,
    -- The last stream entry id the generator knows it wrote: where the
    -- restart looks for what a cut pipeline already put on the stream.
    stream_floor   text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Per account: its state after the last batch that touched it (balance,
-- block, recent payments and top-ups, refundable payments), as JSON.
CREATE TABLE generator_world_accounts (
    world         integer NOT NULL REFERENCES generator_worlds (world),
    account_index integer NOT NULL,
    state         text    NOT NULL,
    PRIMARY KEY (world, account_index)
);

-- One row per generator run (each start), so scores can be given per run as
-- well as over all time.
CREATE TABLE generator_runs (
    run_id         integer     PRIMARY KEY,
    world          integer     NOT NULL REFERENCES generator_worlds (world),
    seed           text        NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    -- Business time of the run's first and last event.
    first_event_at timestamptz,
    last_event_at  timestamptz
);

-- Which run wrote a ledger row or a label: the per-run scores select by it.
-- Null for rows written before this migration and for injected events.
ALTER TABLE reference_transactions ADD COLUMN run_id integer;
ALTER TABLE generator_ground_truth ADD COLUMN run_id integer;
CREATE INDEX reference_transactions_run ON reference_transactions (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX generator_ground_truth_run ON generator_ground_truth (run_id) WHERE run_id IS NOT NULL;
