-- The floor of one durable row per event (make bench, step 5): the least a service that
-- keeps an idempotent effect per event (a row keyed by the event id) makes PostgreSQL spend.
-- 204,800 rows of an entry's size (a uuid key, the stream and entry id, 300 bytes) go in 256
-- per statement, a commit each, as the services' batches do; the rows are made inside the
-- server, so no parameter is parsed, the table has its primary key only, and the keys ascend
-- (every insert at the index's right edge, as the generator's time-ordered ids land, the
-- cheapest place). What is counted
-- is this session's backend CPU (/proc/self/stat, read as the servers' superuser), not the
-- WAL writer's or the checkpointer's: a lower bound, which is what a floor needs.
-- Prints one line: backend µs per row.
\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_floor CASCADE;
CREATE SCHEMA bench_floor;
CREATE TABLE bench_floor.rows (event_id uuid PRIMARY KEY, stream text NOT NULL, entry_id text NOT NULL, body text NOT NULL);
CREATE PROCEDURE bench_floor.fill(batches int) LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..batches LOOP
        INSERT INTO bench_floor.rows
        SELECT lpad(to_hex(i::bigint * 256 + g), 32, '0')::uuid, 'payflow:events', (i * 1000 + g)::text || '-0', repeat('x', 300)
        FROM generate_series(1, 256) g
        ON CONFLICT DO NOTHING;
        COMMIT;
    END LOOP;
END $$;
-- utime + stime of this backend, in clock ticks (fields 14 and 15 of /proc/<pid>/stat).
CREATE FUNCTION bench_floor.cpu_ticks() RETURNS bigint LANGUAGE sql AS $$
    SELECT split_part(s, ' ', 12)::bigint + split_part(s, ' ', 13)::bigint
    FROM (SELECT split_part(pg_read_file('/proc/self/stat'), ') ', 2) AS s) stat $$;
SELECT bench_floor.cpu_ticks() AS ticks_before \gset
CALL bench_floor.fill(800);
\pset tuples_only on
\pset format unaligned
SELECT round((bench_floor.cpu_ticks() - :ticks_before) * 1e6 / :ticks_per_second / count(*), 2) FROM bench_floor.rows;
DROP SCHEMA bench_floor CASCADE;
