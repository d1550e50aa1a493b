-- Notification: one row per notification and channel, the record that makes delivery
-- happen once per (source, channel) whatever the redeliveries.
--
-- notification_id is derived in the service from (source kind, source id, channel), so every
-- delivery attempt of the same notification, by any replica, carries the same id; the webhook
-- sends it as its Idempotency-Key. source_id is the event id (payflow:events) or the alert id
-- (payflow:alerts); event_id is the event the message is about in both cases.
--
-- status: 'pending' from the moment a batch is about to deliver it (and after a crash between
-- sending and recording), 'delivered' once a channel accepted it, 'failed' after attempts that
-- did not succeed (the entry is retried by the runtime, then dead-lettered). A 'delivered' row
-- is never changed again: the handler skips it, and recording another outcome keeps it.
CREATE TABLE notifications (
    notification_id uuid        PRIMARY KEY,
    source_stream   text        NOT NULL,
    source_id       text        NOT NULL,
    event_id        uuid        NOT NULL,
    channel         text        NOT NULL CHECK (channel IN ('log', 'webhook')),
    kind            text        NOT NULL CHECK (kind IN (
                        'payment_receipt', 'refund', 'topup', 'account_blocked',
                        'account_unblocked', 'fraud_alert')),
    recipient       text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (source_id, channel)
);

-- Operators look for what is stuck: rows not delivered, oldest first.
CREATE INDEX notifications_undelivered ON notifications (created_at) WHERE status <> 'delivered';
CREATE INDEX notifications_event_id ON notifications (event_id);
