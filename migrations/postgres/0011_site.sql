-- On the news site: a newsletter's language (NULL: HERALD_LANGUAGE) for its
-- pages and emails, and whether its sent digests are public.

ALTER TABLE newsletters ADD COLUMN language TEXT;
ALTER TABLE newsletters ADD COLUMN public_archive BOOLEAN NOT NULL DEFAULT TRUE;
