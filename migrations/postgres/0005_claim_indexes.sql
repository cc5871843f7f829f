-- The worker claims due queued messages in (next_attempt_at, id) order and,
-- separately, messages whose lease ran out. Partial indexes let each claim
-- stop at its LIMIT instead of reading and sorting every due row, and they
-- hold only the messages still to be sent.
DROP INDEX messages_due;
CREATE INDEX messages_due ON messages (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX messages_leased ON messages (lease_until) WHERE status = 'sending';
