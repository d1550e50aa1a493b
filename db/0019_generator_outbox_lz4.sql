-- The generator's outbox and simulation state are compressed with lz4 instead of pglz (issue 13).
--
-- Why: every batch rewrites generator_worlds.pending (the batch's stream messages as JSON, some
-- hundred kilobytes) and .simulation inside its ledger transaction, and PostgreSQL compresses a
-- value that large before storing it out of line. With the default pglz that compression was
-- most of the UPDATE's ~18 ms, on PostgreSQL's CPU, once per batch; lz4 does the same job several
-- times faster for a little less compression. Nothing reads these values but the generator's
-- restart, and a value keeps the method it was written with, so no row needs rewriting.
--
-- A server built without lz4 refuses the setting (feature_not_supported); it then keeps pglz,
-- which is slower and otherwise the same, rather than failing the migration.
DO $$
BEGIN
    ALTER TABLE generator_worlds ALTER COLUMN pending SET COMPRESSION lz4,
                                 ALTER COLUMN simulation SET COMPRESSION lz4;
EXCEPTION
    WHEN feature_not_supported THEN
        RAISE NOTICE 'lz4 is not available on this server; generator_worlds keeps pglz';
END
$$;
