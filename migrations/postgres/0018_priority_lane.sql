-- The priority lane: confirmations, welcomes and other mail that is not a
-- digest delivery are claimed before a digest's backlog, so a reader who
-- signs up while a digest goes out to everyone gets the email in seconds.
-- Digest deliveries (digest_id set) are not in this index at all.
CREATE INDEX messages_due_transactional ON messages (next_attempt_at, id)
    WHERE status = 'queued' AND digest_id IS NULL;
