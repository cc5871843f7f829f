-- Console sign-in attempts, counted per email address and per client
-- network in the database, so every process sees the same counts. The
-- key is a SHA-256 of "email:…" or "ip:…": no typed text is kept.

CREATE TABLE sign_in_failures (
    key_hash TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at  TEXT NOT NULL
);
CREATE INDEX sign_in_failures_last_at ON sign_in_failures (last_at);
