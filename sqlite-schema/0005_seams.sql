-- Version 5: recurring work (expiry check, clean-up) runs on the daemon's timer and is not
-- queued; the sync placeholder is gone. Rows an older version left for them are removed.
DELETE FROM jobs WHERE kind IN ('CheckExpiredSessions', 'SyncRadiusAccounting', 'CleanOldRows');
DELETE FROM failed_jobs WHERE kind IN ('CheckExpiredSessions', 'SyncRadiusAccounting', 'CleanOldRows');
DELETE FROM settings WHERE key = 'sync_status';

-- Each usage checkpoint looks up the one unsent usage row of the outbox.
CREATE INDEX sync_outbox_entity ON sync_outbox(entity, sent_at);
