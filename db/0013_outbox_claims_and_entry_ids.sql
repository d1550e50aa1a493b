-- The outboxes of payflow:alerts (fraud_alerts) and payflow:mismatches
-- (reconciliation_mismatches) record two more things (StreamOutbox):
--
-- publishing_at: a publisher's claim on an unpublished row, taken by one
--   UPDATE before its XADD, so two replicas that raise the same alert at the
--   same time (re-judging makes that common) publish it once, not twice. A
--   claim older than the lease (10 s) belongs to a publisher that died between
--   its claim and its mark: the outbox repair takes it over.
-- published_id: the stream entry id the XADD returned. After a Redis restart
--   that lost the tail of its AOF (kill -9 under appendfsync everysec, or a host
--   crash), a row marked published whose entry is no longer on the stream is
--   published again (StreamOutboxRepair).
ALTER TABLE fraud_alerts ADD COLUMN publishing_at timestamptz;
ALTER TABLE fraud_alerts ADD COLUMN published_id text;
ALTER TABLE reconciliation_mismatches ADD COLUMN publishing_at timestamptz;
ALTER TABLE reconciliation_mismatches ADD COLUMN published_id text;
