-- Reconciliation: every transaction event seen on payflow:events, the mismatches found
-- against reference_transactions, and the sweep's progress.
--
-- reconciliation_seen has one row per (transaction, stream entry): a redelivery of the same
-- entry hits the same key and adds nothing, while the same event id XADDed twice gives two
-- rows, which is what duplicate_event means. checked_at is NULL while the ledger row had not
-- been found yet; the periodic sweep re-checks those rows and reports missing_in_reference
-- only once the grace period since first_seen_at has passed.
CREATE TABLE reconciliation_seen (
    transaction_id uuid        NOT NULL,
    stream         text        NOT NULL,
    entry_id       text        NOT NULL,
    type           text        NOT NULL,
    account        text        NOT NULL,
    amount         bigint      NOT NULL,
    currency       text        NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    checked_at     timestamptz,
    PRIMARY KEY (transaction_id, entry_id)
);

-- The sweep's two scans: rows still waiting for their ledger row, and recent rows (the
-- backstop for duplicates that two replicas inserted concurrently).
CREATE INDEX reconciliation_seen_unchecked ON reconciliation_seen (first_seen_at) WHERE checked_at IS NULL;
CREATE INDEX reconciliation_seen_first_seen_at ON reconciliation_seen (first_seen_at);

-- One row per transaction and kind, whatever the redeliveries and replicas: every insert is
-- ON CONFLICT DO NOTHING on the primary key. mismatch_id is derived from the same pair so
-- that consumers of payflow:mismatches can dedupe an at-least-once XADD by it.
-- published_at is the outbox: NULL until the row is on payflow:mismatches.
CREATE TABLE reconciliation_mismatches (
    transaction_id uuid        NOT NULL,
    kind           text        NOT NULL CHECK (kind IN (
                       'missing_in_reference', 'missing_in_stream', 'amount_mismatch',
                       'currency_mismatch', 'account_mismatch', 'duplicate_event')),
    mismatch_id    uuid        NOT NULL GENERATED ALWAYS AS (md5(transaction_id::text || ':' || kind)::uuid) STORED,
    expected       text        NOT NULL,
    actual         text        NOT NULL,
    detected_at    timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    PRIMARY KEY (transaction_id, kind),
    UNIQUE (mismatch_id)
);

CREATE INDEX reconciliation_mismatches_unpublished ON reconciliation_mismatches (detected_at) WHERE published_at IS NULL;

-- How far the missing_in_stream scan of reference_transactions (by recorded_at) has got, so
-- each sweep reads only the ledger rows that became old enough since the previous one.
CREATE TABLE reconciliation_sweep_state (
    name         text        PRIMARY KEY,
    swept_until  timestamptz NOT NULL
);
