-- News feed items, RSS/Atom feeds, digests, and digest deliveries in the
-- one outgoing-mail queue.

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             TEXT NOT NULL UNIQUE,
    interval_secs   INTEGER NOT NULL,
    -- no rows in feed_newsletters and this true: every newsletter
    all_newsletters INTEGER NOT NULL,
    next_poll_at    TEXT NOT NULL,
    last_polled_at  TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE feed_newsletters (
    feed_id       INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    PRIMARY KEY (feed_id, newsletter_id)
);

CREATE TABLE feed_items (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT NOT NULL,
    url             TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    published_at    TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    all_newsletters INTEGER NOT NULL,
    -- where a polled item came from, and its GUID (or link) there: each
    -- entry is added once
    feed_id         INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    guid            TEXT,
    UNIQUE (feed_id, guid)
);
CREATE INDEX feed_items_published ON feed_items (published_at);
CREATE INDEX feed_items_created ON feed_items (created_at);

CREATE TABLE feed_item_newsletters (
    item_id       INTEGER NOT NULL REFERENCES feed_items(id) ON DELETE CASCADE,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    PRIMARY KEY (item_id, newsletter_id)
);

-- A default subject for the newsletter's digests.
ALTER TABLE newsletters ADD COLUMN digest_subject TEXT;

CREATE TABLE digests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    newsletter_id   INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'paused', 'sent', 'cancelled')),
    subject         TEXT NOT NULL,
    -- rendered once; each recipient's unsubscribe link is filled in at send time
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    idempotency_key TEXT,
    cutoff_at       TEXT NOT NULL,
    items           INTEGER NOT NULL,
    recipients      INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    finished_at     TEXT,
    UNIQUE (newsletter_id, idempotency_key)
);
CREATE INDEX digests_newsletter ON digests (newsletter_id, id);

CREATE TABLE digest_items (
    digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    item_id   INTEGER NOT NULL REFERENCES feed_items(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    PRIMARY KEY (digest_id, item_id)
);

-- The queue learns digest deliveries (bodies rendered at send time, so none
-- are stored) and two more end states: skipped (unsubscribed before its
-- turn) and cancelled. SQLite can't change a CHECK, so the table is rebuilt.
CREATE TABLE messages_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    subscriber_id   INTEGER REFERENCES subscribers(id) ON DELETE CASCADE,
    recipient       TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    subject         TEXT NOT NULL,
    body_text       TEXT,
    body_html       TEXT,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    worker_id       TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    sender          TEXT,
    reply_to        TEXT,
    digest_id       INTEGER REFERENCES digests(id) ON DELETE CASCADE,
    subscription_id INTEGER REFERENCES subscriptions(id) ON DELETE CASCADE
);
INSERT INTO messages_new (id, kind, subscriber_id, recipient, message_id, subject, body_text,
    body_html, status, attempts, next_attempt_at, lease_until, worker_id, last_error, created_at,
    sent_at, sender, reply_to)
SELECT id, kind, subscriber_id, recipient, message_id, subject, body_text, body_html, status,
    attempts, next_attempt_at, lease_until, worker_id, last_error, created_at, sent_at, sender,
    reply_to
FROM messages;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
CREATE INDEX messages_due ON messages (status, next_attempt_at);
CREATE INDEX messages_subscriber ON messages (subscriber_id);
CREATE INDEX messages_digest ON messages (digest_id, status);
