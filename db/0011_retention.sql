-- Retention: notification's purge deletes settled rows (delivered or failed) whose last
-- change is older than NOTIFICATION_RETENTION_SECONDS, oldest first, in batches; this index
-- lets each batch find them without scanning the table. reconciliation_seen's purge uses
-- reconciliation_seen_first_seen_at (0004).
CREATE INDEX notifications_settled_updated_at ON notifications (updated_at) WHERE status <> 'pending';
