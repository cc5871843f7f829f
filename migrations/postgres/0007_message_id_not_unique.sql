-- Message-IDs are unique by construction (digest-{digest}-{subscriber}, or
-- random for confirmations) and nothing looks a message up by one. The
-- unique index cost every change of a message's state a text-index insert
-- with a uniqueness check (a state change moves the row, so each index gets
-- a new entry): about a sixth of PostgreSQL's work per digest delivery.
-- (SQLite keeps the constraint: dropping it there means rebuilding the
-- table, and its fan-out is far from limited by it.)
ALTER TABLE messages DROP CONSTRAINT messages_message_id_key;
