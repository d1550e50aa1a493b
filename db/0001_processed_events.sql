-- Idempotency ledger for stream consumers.
--
-- Redis Streams deliver at least once: after a crash, a consumer group re-delivers entries
-- that were read but not acknowledged, and XAUTOCLAIM hands them to another consumer. A
-- consumer records each event here in the same transaction as its side effects, inserting
-- with ON CONFLICT DO NOTHING; a conflict means "already done", so the entry is only ACKed.
-- The key is per consumer group because each group (each service) processes every event once.
-- stream and entry_id say where the event was read, for tracing a duplicate back to Redis.
CREATE TABLE processed_events (
    consumer_group text NOT NULL,
    event_id text NOT NULL,
    stream text NOT NULL,
    entry_id text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_id)
);
