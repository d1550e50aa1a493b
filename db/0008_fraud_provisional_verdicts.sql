-- Anti-fraud verdicts that a late event could still overturn (a payment on a blocked
-- account, a refund of an unknown payment), kept until the anti-fraud group has processed
-- every stream entry up to the one that raised them; then they are judged again and either
-- become fraud_alerts rows or are dropped. See PayFlowAntiFraud/Settling.
--
-- One row per (event, rule), whatever the redeliveries and replicas (ON CONFLICT DO NOTHING).
-- settle_after_ms is the millisecond part of the raising entry's id, for the watermark test.
CREATE TABLE fraud_provisional_verdicts (
    event_id             uuid        NOT NULL,
    rule                 text        NOT NULL,
    account              text        NOT NULL,
    reason               text        NOT NULL,
    judged_at_us         bigint      NOT NULL,
    refunded_payment_id  uuid,
    refund_amount        bigint,
    detected_at          timestamptz NOT NULL,
    settle_after         text        NOT NULL,
    settle_after_ms      bigint      NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, rule)
);

-- The settler's scan: the oldest verdicts whose raising entry is covered by the watermark.
CREATE INDEX fraud_provisional_verdicts_settle ON fraud_provisional_verdicts (settle_after_ms);
