-- Issue 16, the services side: notifications of reconciliation mismatches, analytics'
-- breakdowns per merchant and per country, and the notification figures analytics serves.

-- MARK: notification: a kind for mismatches
--
-- The notification group now reads payflow:mismatches too: one message to operations per
-- mismatch (source_id = mismatch_id, event_id = its transaction, which is the event id).
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN (
    'payment_receipt', 'refund', 'topup', 'account_blocked', 'account_unblocked', 'fraud_alert',
    'reconciliation_mismatch'));

-- MARK: analytics: breakdowns per merchant and per country
--
-- The same exactness rule as 0006: a breakdown row only ever grows from facts the same statement
-- inserted (ON CONFLICT DO NOTHING ... RETURNING), so a redelivery adds nothing.
--
-- An alert names its event, not the event's merchant or country, and the two arrive on two
-- streams in either order, possibly at two replicas at once. analytics_breakdown_links is the
-- meeting point: one row per event id, upserted both by the event (its merchant, country,
-- currency, amount) and by each of its alerts (alerts + 1). The upsert's row lock serialises the
-- two sides, and whichever comes second sees the other's committed row, so each alert is added
-- to its event's merchant and country exactly once: by the event's statement when the alerts
-- came first, by the alert's statement when the event did. Rows are written only for events
-- with a merchant or a country (payments and refunds) and for alerted events.
CREATE TABLE analytics_breakdown_links (
    event_id   text    PRIMARY KEY,
    -- The event itself has been recorded (a payment or a refund); until then only alerts are.
    has_event  boolean NOT NULL,
    type       text,
    merchant   text,
    country    text,
    currency   text,
    amount     bigint,
    alerts     integer NOT NULL
);

-- Per dimension ('merchant': payments and refunds; 'country': payments, the events that carry
-- one), key and currency. flagged = transactions with at least one alert. GET
-- /v1/stats/breakdown sums the currencies of each key; a few thousand rows in all.
CREATE TABLE analytics_breakdown (
    dimension    text   NOT NULL CHECK (dimension IN ('merchant', 'country')),
    key          text   NOT NULL,
    currency     text   NOT NULL,
    payments     bigint NOT NULL,
    refunds      bigint NOT NULL,
    payment_sum  bigint NOT NULL,
    refund_sum   bigint NOT NULL,
    alerts       bigint NOT NULL,
    flagged      bigint NOT NULL,
    PRIMARY KEY (dimension, key, currency)
);

GRANT SELECT, INSERT, UPDATE ON analytics_breakdown_links, analytics_breakdown TO payflow_analytics;

-- MARK: analytics: notification figures
--
-- GET /v1/stats/notifications counts sent, failed and retried notifications per channel and
-- kind: read only, from notification's own table.
GRANT SELECT ON notifications TO payflow_analytics;
