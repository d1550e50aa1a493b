-- Audit log: a copy of every entry of every PayFlow stream (the dead-letter streams included),
-- stored once and hash-chained so that changing or deleting a stored row is detected.
--
-- Chains. Each audit-log process appends to a chain of its own (audit_chains, one row per
-- chain, created when the process writes its first batch). A row carries its position in its
-- chain (chain_seq, 1, 2, 3...), the hash of the previous row of that chain (prev_hash; 32 zero
-- bytes for the first) and its own hash: row_hash = SHA-256(prev_hash || canonical content),
-- computed by the writer (PayFlowAuditLog/AuditRowHash.swift). audit_chains holds each chain's
-- head (last_seq, last_hash), advanced in the same statement as the rows, so deleting the last
-- rows of a chain is detected too. Why one chain per writer: several replicas append at once,
-- and a single global chain would serialise them on one row lock (or fork); per-writer chains
-- need no coordination and each stays verifiable on its own. `payflow audit verify` walks
-- every chain.
CREATE TABLE audit_chains (
    chain_id    uuid        PRIMARY KEY,
    consumer    text        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    last_seq    bigint      NOT NULL DEFAULT 0,
    last_hash   bytea       NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
);

-- One row per stream entry. Partitioned by day of the entry's own time (the millisecond part
-- of its Redis id), which is a function of (stream, entry_id): the primary key has to include
-- the partition key, and including entry_time keeps it equivalent to UNIQUE (stream, entry_id).
-- Why partition: the table grows with every event of every stream forever; daily partitions
-- keep each index small enough to stay in memory, let retention drop a day at a time instead
-- of deleting rows (which would also mean re-anchoring the chains, see README), and let a
-- query on recent days skip the rest. Partitions are created on demand by the writer through
-- audit_log_ensure_partition, before each batch that needs a new day.
CREATE TABLE audit_log (
    stream      text        NOT NULL,
    entry_id    text        NOT NULL,
    entry_time  timestamptz NOT NULL,
    -- The id the entry is about: an event's `id`, an alert's `event_id`, a mismatch's
    -- `transaction_id`, a dead letter's `original.id`; NULL when it has none.
    event_id    text,
    -- An event's type, an alert's rule, a mismatch's kind; NULL when it has none.
    type        text,
    -- Every field, as a JSON object (an array of [name, value] pairs for the rare entry that
    -- repeats a field name, so nothing is lost).
    fields      jsonb       NOT NULL,
    received_at timestamptz NOT NULL,
    chain_id    uuid        NOT NULL,
    chain_seq   bigint      NOT NULL,
    prev_hash   bytea       NOT NULL,
    row_hash    bytea       NOT NULL,
    PRIMARY KEY (stream, entry_id, entry_time)
) PARTITION BY RANGE (entry_time);

-- Index plan:
-- - primary key: the writer's "already stored?" check and the uniqueness of an entry;
-- - (chain_id, chain_seq): `audit verify` walks each chain in order (keyset pagination);
-- - (event_id): `audit show <event-id>` and joins with fraud_alerts, reconciliation_mismatches
--   and notifications.
CREATE INDEX audit_log_chain ON audit_log (chain_id, chain_seq);
CREATE INDEX audit_log_event_id ON audit_log (event_id);

-- Creates the partition holding `day` (UTC) if it does not exist yet. Safe to call from
-- several writers at once: the advisory lock serialises the CREATE, and a writer that still
-- finds the partition created by another one (its catalog view can lag) carries on.
CREATE FUNCTION audit_log_ensure_partition(day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    partition_name text := 'audit_log_' || to_char(day, 'YYYYMMDD');
BEGIN
    IF to_regclass(partition_name) IS NOT NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('payflow.audit_log.partitions'));
    EXECUTE format(
        'CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
        partition_name,
        (day::timestamp AT TIME ZONE 'UTC'),
        ((day + 1)::timestamp AT TIME ZONE 'UTC')
    );
EXCEPTION
    WHEN duplicate_table OR unique_violation THEN
        NULL;
END;
$$;
