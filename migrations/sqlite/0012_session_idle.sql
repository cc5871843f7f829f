-- Console sessions end after a while without use, not only at their
-- absolute expiry.

ALTER TABLE admin_sessions ADD COLUMN last_seen_at TEXT;
