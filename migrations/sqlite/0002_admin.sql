-- Admin API: per-newsletter senders, consent notes, per-message senders,
-- and the hashes of erased addresses (so an import cannot add them back).

ALTER TABLE newsletters ADD COLUMN from_name TEXT;
ALTER TABLE newsletters ADD COLUMN from_address TEXT;
ALTER TABLE newsletters ADD COLUMN reply_to TEXT;

-- Free text an admin gives when recording consent obtained elsewhere.
ALTER TABLE consent_log ADD COLUMN note TEXT;

-- The From and Reply-To of a queued message, when not the default sender.
ALTER TABLE messages ADD COLUMN sender TEXT;
ALTER TABLE messages ADD COLUMN reply_to TEXT;

-- SHA-256 (hex) of each erased, normalised address: nothing else remains.
CREATE TABLE erased (
    email_hash TEXT PRIMARY KEY,
    erased_at  TEXT NOT NULL
);

-- The purge looks for pending subscriptions by age.
CREATE INDEX subscriptions_status_updated ON subscriptions (status, updated_at);
