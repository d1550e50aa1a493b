-- Fraud alerts raised by the anti-fraud service (consumer group `anti-fraud`).
--
-- alert_id is `<event-id>:<rule>`: derived from what was detected, never random,
-- so a redelivered event (or a second replica evaluating it) inserts nothing new
-- (ON CONFLICT DO NOTHING). detected_at is the business time (`occurred_at`) of
-- the event whose evaluation raised the alert, so every replica writes the same row.
--
-- published_at is an outbox marker for the stream `payflow:alerts`: rows are
-- inserted first, then XADDed, then marked. A crash between XADD and the mark
-- re-publishes the row on redelivery (at least once; consumers dedupe by alert_id);
-- a crash before the XADD never loses it, because the entry is not acked yet.
CREATE TABLE fraud_alerts (
    alert_id     text        PRIMARY KEY,
    event_id     uuid        NOT NULL,
    account      text        NOT NULL,
    rule         text        NOT NULL,
    severity     text        NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    reason       text        NOT NULL,
    detected_at  timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

CREATE INDEX fraud_alerts_event_id ON fraud_alerts (event_id);
CREATE INDEX fraud_alerts_unpublished ON fraud_alerts (created_at) WHERE published_at IS NULL;
