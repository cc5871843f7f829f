-- no-transaction
-- List hygiene. Addresses that bounce or complain are suppressed: their
-- subscriptions move to `bounced` or `complained` and get no more digests.
--
-- SQLite can't change a CHECK, so `subscriptions` is rebuilt. `messages`
-- refers to it with ON DELETE CASCADE, and dropping the old table would
-- run that cascade, so foreign keys are off while it happens, which is
-- possible only outside a transaction: this migration opens its own.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE subscriptions_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    newsletter_id   INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced', 'complained')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    unsubscribed_at TEXT,
    UNIQUE (subscriber_id, newsletter_id)
);
INSERT INTO subscriptions_new (id, subscriber_id, newsletter_id, status, created_at, updated_at,
    confirmed_at, unsubscribed_at)
SELECT id, subscriber_id, newsletter_id, status, created_at, updated_at, confirmed_at,
    unsubscribed_at
FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
CREATE INDEX subscriptions_newsletter_status ON subscriptions (newsletter_id, status, id);
CREATE INDEX subscriptions_status_updated ON subscriptions (status, updated_at);
CREATE INDEX subscriptions_newsletter_id ON subscriptions (newsletter_id, id);

-- One row per suppressed address. `email` and `evidence` go when the
-- address is erased; the keyed hash stays, as in `erased`.
CREATE TABLE suppressions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    email      TEXT UNIQUE,
    email_hash TEXT NOT NULL UNIQUE,
    reason     TEXT NOT NULL CHECK (reason IN ('hard_bounce', 'soft_bounce', 'complained')),
    source     TEXT NOT NULL,
    evidence   TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX suppressions_created ON suppressions (created_at, id);

-- Digests whose delivery to an address ended failed after temporary
-- failures: three different ones make a soft bounce.
CREATE TABLE soft_bounces (
    email     TEXT NOT NULL,
    digest_id INTEGER NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (email, digest_id)
);

COMMIT;
PRAGMA foreign_keys = ON;
