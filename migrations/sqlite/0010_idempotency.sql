-- Idempotency-Key on admin requests that create something: one row per
-- (scope, key), where the scope names the route (and the newsletter, where
-- the path has one). A request claims its key by inserting the row (owner
-- set, no status yet) and finishes it with its answer, which later requests
-- with the same key and body get again. A claim whose owner stopped touching
-- claimed_at may be taken over; rows older than 24 hours count as gone and
-- are purged.

CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    -- SHA-256 (hex) of the query and body; null while a streamed body is
    -- still being read by its owner
    request_hash TEXT,
    owner        TEXT NOT NULL,
    status       INTEGER,
    response     TEXT,
    claimed_at   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
