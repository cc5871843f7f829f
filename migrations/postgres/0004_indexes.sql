-- Paging a newsletter's subscribers without a status filter, and the purge's
-- look for subscribers left with nothing, stay fast at a million rows.
CREATE INDEX subscriptions_newsletter_id ON subscriptions (newsletter_id, id);
CREATE INDEX subscribers_created ON subscribers (created_at);
