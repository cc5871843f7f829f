-- Scheduled digests: a newsletter's cron expression, its zone and how many
-- new items a slot needs; since when the schedule holds (slots before that
-- are never run); and every slot's outcome, one row per (newsletter, slot):
-- the unique key is what makes a slot run once, whatever the processes.

ALTER TABLE newsletters ADD COLUMN schedule TEXT;
ALTER TABLE newsletters ADD COLUMN schedule_zone TEXT;
ALTER TABLE newsletters ADD COLUMN min_items INTEGER NOT NULL DEFAULT 1;
ALTER TABLE newsletters ADD COLUMN schedule_since TIMESTAMPTZ;

CREATE TABLE schedule_runs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    newsletter_id BIGINT NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    slot          TIMESTAMPTZ NOT NULL,
    -- running: claimed by a process at claimed_at (taken over if that
    -- process dies); then sent (with its digest), skipped or missed
    status        TEXT NOT NULL CHECK (status IN ('running', 'sent', 'skipped', 'missed')),
    digest_id     BIGINT REFERENCES digests(id) ON DELETE SET NULL,
    claimed_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    UNIQUE (newsletter_id, slot)
);
