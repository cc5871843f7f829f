-- A confirmation link works once: the first confirm through it marks it
-- used, and after that it confirms nothing (a forwarded or leaked email
-- can't confirm later signups of the same address).

ALTER TABLE tokens ADD COLUMN used_at TIMESTAMPTZ;
