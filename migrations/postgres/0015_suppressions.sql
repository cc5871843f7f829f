-- List hygiene. Addresses that bounce or complain are suppressed: their
-- subscriptions move to `bounced` or `complained` and get no more digests.

ALTER TABLE subscriptions DROP CONSTRAINT IF EXISTS subscriptions_status_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status_check
    CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced', 'complained'));

-- One row per suppressed address. `email` and `evidence` go when the
-- address is erased; the keyed hash stays, as in `erased`.
CREATE TABLE suppressions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      TEXT UNIQUE,
    email_hash TEXT NOT NULL UNIQUE,
    reason     TEXT NOT NULL CHECK (reason IN ('hard_bounce', 'soft_bounce', 'complained')),
    source     TEXT NOT NULL,
    evidence   TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX suppressions_created ON suppressions (created_at, id);

-- Digests whose delivery to an address ended failed after temporary
-- failures: three different ones make a soft bounce.
CREATE TABLE soft_bounces (
    email     TEXT NOT NULL,
    digest_id BIGINT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (email, digest_id)
);
