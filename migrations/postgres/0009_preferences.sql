-- Readers manage their subscriptions: a newsletter's optional welcome email
-- (subject and Markdown body), and when a subscriber was last mailed the
-- link to their preference page (at most one per resend cooldown).

ALTER TABLE newsletters ADD COLUMN welcome_subject TEXT;
ALTER TABLE newsletters ADD COLUMN welcome_body TEXT;
ALTER TABLE subscribers ADD COLUMN manage_sent_at TIMESTAMPTZ;
