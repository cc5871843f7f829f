-- Herald's first schema (PostgreSQL).

-- Server-wide secrets (e.g. the key that signs unsubscribe links), created once.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE newsletters (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    archived_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);

-- One row per address, compared case-insensitively (stored lower-cased).
CREATE TABLE subscribers (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    -- when the last confirmation email was queued: the resend cooldown
    confirm_sent_at TIMESTAMPTZ
);

CREATE TABLE subscriptions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id   BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    newsletter_id   BIGINT NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed')),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    confirmed_at    TIMESTAMPTZ,
    unsubscribed_at TIMESTAMPTZ,
    UNIQUE (subscriber_id, newsletter_id)
);
CREATE INDEX subscriptions_newsletter_status ON subscriptions (newsletter_id, status, id);

-- Single-purpose tokens; only the SHA-256 of a token is stored.
CREATE TABLE tokens (
    token_hash    TEXT PRIMARY KEY,
    purpose       TEXT NOT NULL CHECK (purpose IN ('confirm')),
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX tokens_subscriber ON tokens (subscriber_id);

-- Evidence of consent (GDPR art. 7): who, what, when, from where.
CREATE TABLE consent_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    newsletter_id BIGINT NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    action        TEXT NOT NULL CHECK (action IN ('requested', 'confirmed', 'unsubscribed')),
    at            TIMESTAMPTZ NOT NULL,
    ip            TEXT,
    user_agent    TEXT,
    form          TEXT
);
CREATE INDEX consent_log_subscriber ON consent_log (subscriber_id);

-- The durable outgoing-mail queue. A row moves queued -> sending (leased) ->
-- sent | failed, or back to queued with a later next_attempt_at.
CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL,
    subscriber_id   BIGINT REFERENCES subscribers(id) ON DELETE CASCADE,
    recipient       TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    subject         TEXT NOT NULL,
    body_text       TEXT,
    body_html       TEXT,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ,
    worker_id       TEXT,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
CREATE INDEX messages_due ON messages (status, next_attempt_at);
CREATE INDEX messages_subscriber ON messages (subscriber_id);

CREATE TABLE admin_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);
