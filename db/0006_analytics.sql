-- Analytics: exact aggregates of payflow:events, payflow:alerts and payflow:mismatches.
--
-- Exactness under at-least-once delivery rests on two kinds of table:
-- - fact tables, one row per event id / alert id / mismatch id (the primary key), filled with
--   INSERT ... ON CONFLICT DO NOTHING RETURNING: a redelivered entry, or a second stream entry
--   carrying an id already recorded, inserts nothing and returns nothing;
-- - aggregate tables, updated in the same statement only from the rows that insert returned,
--   so every fact is added to the aggregates exactly once, and facts and aggregates commit (or
--   roll back) together.
-- Aggregate upserts visit their rows in primary-key order (ORDER BY in the INSERT ... SELECT)
-- so that two replicas updating the same rows wait for each other instead of deadlocking; a
-- deadlock or serialization failure that happens anyway rolls the whole statement back and the
-- batch is retried.
--
-- Buckets are minutes of business time (occurred_at of the event, detected_at of the alert
-- or mismatch), truncated in UTC; hours and days are rolled up from minutes at query time.

-- MARK: events

CREATE TABLE analytics_events (
    event_id     uuid        PRIMARY KEY,
    type         text        NOT NULL,
    account      text        NOT NULL,
    amount       bigint      NOT NULL,
    currency     text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    -- Where the first recorded copy was read, for tracing a figure back to Redis.
    stream       text        NOT NULL,
    entry_id     text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Per minute, type and currency. The primary key serves the upserts and the range scans of
-- GET /v1/stats/timeseries (minute first); GET /v1/stats/summary aggregates the whole table,
-- a few thousand rows per business day.
CREATE TABLE analytics_event_minutes (
    minute       timestamptz NOT NULL,
    type         text        NOT NULL,
    currency     text        NOT NULL,
    event_count  bigint      NOT NULL,
    amount_sum   bigint      NOT NULL,
    amount_min   bigint      NOT NULL,
    amount_max   bigint      NOT NULL,
    PRIMARY KEY (minute, type, currency)
);

-- Payments per account and currency, for GET /v1/stats/accounts/top. The primary key serves
-- the upserts; the second index answers "top N in one currency" by reading N index entries.
CREATE TABLE analytics_account_spend (
    account       text   NOT NULL,
    currency      text   NOT NULL,
    payment_count bigint NOT NULL,
    amount_sum    bigint NOT NULL,
    PRIMARY KEY (account, currency)
);

CREATE INDEX analytics_account_spend_top ON analytics_account_spend (currency, amount_sum DESC, account);

-- The latest account_blocked / account_unblocked event per account, by occurred_at (event id
-- breaks ties), whatever order the events arrive in. Counting the blocked ones reads the
-- partial index only.
CREATE TABLE analytics_account_status (
    account     text        PRIMARY KEY,
    blocked     boolean     NOT NULL,
    changed_at  timestamptz NOT NULL,
    event_id    uuid        NOT NULL
);

CREATE INDEX analytics_account_status_blocked ON analytics_account_status (account) WHERE blocked;

-- MARK: alerts

CREATE TABLE analytics_alerts (
    alert_id     text        PRIMARY KEY,
    event_id     text        NOT NULL,
    account      text        NOT NULL,
    rule         text        NOT NULL,
    severity     text        NOT NULL,
    reason       text        NOT NULL,
    detected_at  timestamptz NOT NULL,
    stream       text        NOT NULL,
    entry_id     text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- The most recent alerts (GET /v1/stats/alerts).
CREATE INDEX analytics_alerts_recent ON analytics_alerts (detected_at DESC, alert_id);

CREATE TABLE analytics_alert_minutes (
    minute       timestamptz NOT NULL,
    rule         text        NOT NULL,
    alert_count  bigint      NOT NULL,
    PRIMARY KEY (minute, rule)
);

-- MARK: mismatches

CREATE TABLE analytics_mismatches (
    mismatch_id     text        PRIMARY KEY,
    kind            text        NOT NULL,
    transaction_id  text        NOT NULL,
    expected        text        NOT NULL,
    actual          text        NOT NULL,
    detected_at     timestamptz NOT NULL,
    stream          text        NOT NULL,
    entry_id        text        NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);

-- The most recent mismatches (GET /v1/stats/mismatches).
CREATE INDEX analytics_mismatches_recent ON analytics_mismatches (detected_at DESC, mismatch_id);

CREATE TABLE analytics_mismatch_minutes (
    minute          timestamptz NOT NULL,
    kind            text        NOT NULL,
    mismatch_count  bigint      NOT NULL,
    PRIMARY KEY (minute, kind)
);
