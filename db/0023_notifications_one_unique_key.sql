-- Issue 13: one unique key per notification, not two. notification_id is
-- derived from (source kind, source id, channel) (NotificationID.swift: the
-- same SHA-256 in every replica), so the primary key already makes a
-- notification unique per source and channel; UNIQUE (source_id, channel)
-- said it a second time, and its index (a text key in random order) was one
-- more B-tree descent and insert per row on the notification group's hot
-- path. Nothing looks rows up by source_id through it.
ALTER TABLE notifications DROP CONSTRAINT notifications_source_id_channel_key;
