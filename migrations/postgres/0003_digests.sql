-- News feed items, RSS/Atom feeds, digests, and digest deliveries in the
-- one outgoing-mail queue.

CREATE TABLE feeds (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    interval_secs   INTEGER NOT NULL,
    -- no rows in feed_newsletters and this true: every newsletter
    all_newsletters BOOLEAN NOT NULL,
    next_poll_at    TIMESTAMPTZ NOT NULL,
    last_polled_at  TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE feed_newsletters (
    feed_id       BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    newsletter_id BIGINT NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    PRIMARY KEY (feed_id, newsletter_id)
);

CREATE TABLE feed_items (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title           TEXT NOT NULL,
    url             TEXT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    published_at    TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    all_newsletters BOOLEAN NOT NULL,
    -- where a polled item came from, and its GUID (or link) there: each
    -- entry is added once
    feed_id         BIGINT REFERENCES feeds(id) ON DELETE SET NULL,
    guid            TEXT,
    UNIQUE (feed_id, guid)
);
CREATE INDEX feed_items_published ON feed_items (published_at);
CREATE INDEX feed_items_created ON feed_items (created_at);

CREATE TABLE feed_item_newsletters (
    item_id       BIGINT NOT NULL REFERENCES feed_items(id) ON DELETE CASCADE,
    newsletter_id BIGINT NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    PRIMARY KEY (item_id, newsletter_id)
);

-- A default subject for the newsletter's digests.
ALTER TABLE newsletters ADD COLUMN digest_subject TEXT;

CREATE TABLE digests (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    newsletter_id   BIGINT NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'paused', 'sent', 'cancelled')),
    subject         TEXT NOT NULL,
    -- rendered once; each recipient's unsubscribe link is filled in at send time
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    idempotency_key TEXT,
    cutoff_at       TIMESTAMPTZ NOT NULL,
    items           INTEGER NOT NULL,
    recipients      INTEGER NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ,
    UNIQUE (newsletter_id, idempotency_key)
);
CREATE INDEX digests_newsletter ON digests (newsletter_id, id);

CREATE TABLE digest_items (
    digest_id BIGINT NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    item_id   BIGINT NOT NULL REFERENCES feed_items(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    PRIMARY KEY (digest_id, item_id)
);

-- The queue learns digest deliveries (bodies rendered at send time, so none
-- are stored) and two more end states: skipped (unsubscribed before its
-- turn) and cancelled.
ALTER TABLE messages DROP CONSTRAINT messages_status_check;
ALTER TABLE messages ADD CONSTRAINT messages_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'cancelled'));
ALTER TABLE messages ADD COLUMN digest_id BIGINT REFERENCES digests(id) ON DELETE CASCADE;
ALTER TABLE messages ADD COLUMN subscription_id BIGINT REFERENCES subscriptions(id) ON DELETE CASCADE;
CREATE INDEX messages_digest ON messages (digest_id, status);
