-- The accounts a generator batch changed are written as one row per batch, and folded into
-- generator_world_accounts every so many batches instead of upserted there by every batch
-- (issue 13).
--
-- Why: every batch touches some 450 of the world's 10,000 accounts and upserted each one into
-- generator_world_accounts in its ledger transaction: 456 new row versions and index entries,
-- ~15 ms of PostgreSQL per batch, about 30 µs per event, most of the generator's share of
-- PostgreSQL. Over a hundred batches the same 10,000 accounts are written again and again. Now
-- a batch inserts one row here holding its accounts' states (one line per account:
-- "<account_index> TAB <state JSON>", and a state's JSON has no raw tab or newline), stored
-- out of line and compressed; when a world has WorldStore.batchesPerFold rows here, the batch
-- that reaches that count also folds them: the latest state of each account goes into
-- generator_world_accounts (one upsert per account, not per batch that touched it) and the
-- rows are deleted, in that batch's transaction. The world in PostgreSQL is still, at every
-- commit, the world after the last committed batch: generator_world_accounts with these rows
-- laid over it in batch order, which is what a restart reads.
CREATE TABLE generator_world_account_changes (
    world     integer NOT NULL REFERENCES generator_worlds (world),
    -- Batch order within a world: later rows win.
    batch_seq bigint  GENERATED ALWAYS AS IDENTITY,
    states    text    NOT NULL,
    PRIMARY KEY (world, batch_seq)
);

DO $$
BEGIN
    ALTER TABLE generator_world_account_changes ALTER COLUMN states SET COMPRESSION lz4;
EXCEPTION
    WHEN feature_not_supported THEN
        RAISE NOTICE 'lz4 is not available on this server; generator_world_account_changes keeps pglz';
END
$$;

GRANT SELECT, INSERT, DELETE ON generator_world_account_changes TO payflow_generator;
