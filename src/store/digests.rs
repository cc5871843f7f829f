//! Digests: which items go into the next one, and creating one with a
//! delivery row per confirmed subscriber in one transaction.

use chrono::{DateTime, Utc};

use sqlx::AssertSqlSafe;

use super::{both, BeginWrite, Error, Result, Store};

pub struct NewDigest<'a> {
    pub newsletter_id: i64,
    pub idempotency_key: Option<&'a str>,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub item_ids: &'a [i64],
    pub now: DateTime<Utc>,
    /// The domain of Message-IDs: `<digest-{id}-{subscriber}@domain>`.
    pub message_domain: &'a str,
}

/// What became of a request to create a digest.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    New(i64),
    /// The same idempotency key made this one before.
    Existing(i64),
}

impl Store {
    /// The items the next digest of a newsletter holds, newest first: those
    /// for it (or for every newsletter), published by `now`, added or
    /// published after the previous digest's cut-off, and in no earlier
    /// digest of it.
    pub async fn digest_candidates(
        &self,
        newsletter_id: i64,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<super::FeedItem>> {
        let ids: Vec<i64> = both!(self, p => {
            let cutoff: Option<DateTime<Utc>> = sqlx::query_scalar(
                "SELECT cutoff_at FROM digests WHERE newsletter_id = $1 ORDER BY id DESC LIMIT 1",
            )
            .bind(newsletter_id)
            .fetch_optional(p)
            .await?;
            let cutoff = cutoff.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
            sqlx::query_scalar(
                "SELECT i.id FROM feed_items i WHERE i.published_at <= $2 \
                 AND (i.all_newsletters OR EXISTS (SELECT 1 FROM feed_item_newsletters f \
                      WHERE f.item_id = i.id AND f.newsletter_id = $1)) \
                 AND (i.created_at > $3 OR i.published_at > $3) \
                 AND NOT EXISTS (SELECT 1 FROM digest_items di JOIN digests d ON d.id = di.digest_id \
                      WHERE di.item_id = i.id AND d.newsletter_id = $1) \
                 ORDER BY i.published_at DESC, i.id DESC LIMIT $4",
            )
            .bind(newsletter_id)
            .bind(now)
            .bind(cutoff)
            .bind(i64::from(limit))
            .fetch_all(p)
            .await
        })?;
        let mut items = Vec::with_capacity(ids.len());
        for id in ids {
            items.push(self.feed_item(id).await?);
        }
        Ok(items)
    }

    /// Creates the digest, its items and one queued delivery per subscriber
    /// confirmed at this moment, in one transaction. With an idempotency key
    /// that was used before (also by a concurrent request), the earlier
    /// digest is returned instead.
    pub async fn create_digest(&self, d: NewDigest<'_>) -> Result<Created> {
        if let Some(id) = self
            .digest_by_key(d.newsletter_id, d.idempotency_key)
            .await?
        {
            return Ok(Created::Existing(id));
        }
        let made: Result<Result<(i64, u64), i64>> = both!(self, p => async {
            let mut tx = p.begin_write().await?;
            if let Some(key) = d.idempotency_key {
                let existing: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM digests WHERE newsletter_id = $1 AND idempotency_key = $2",
                )
                .bind(d.newsletter_id)
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(id) = existing {
                    return Ok(Err(id));
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO digests (newsletter_id, status, subject, body_text, body_html, \
                 idempotency_key, cutoff_at, items, recipients, created_at) \
                 VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, 0, $6) RETURNING id",
            )
            .bind(d.newsletter_id)
            .bind(d.subject)
            .bind(d.body_text)
            .bind(d.body_html)
            .bind(d.idempotency_key)
            .bind(d.now)
            .bind(d.item_ids.len() as i32)
            .fetch_one(&mut *tx)
            .await
            .map_err(Error::from_insert)?;
            for (position, item) in d.item_ids.iter().enumerate() {
                sqlx::query("INSERT INTO digest_items (digest_id, item_id, position) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(item)
                    .bind(position as i32)
                    .execute(&mut *tx)
                    .await?;
            }
            let recipients = sqlx::query(
                "INSERT INTO messages (kind, subscriber_id, subscription_id, digest_id, recipient, \
                 message_id, subject, status, next_attempt_at, created_at) \
                 SELECT 'digest', s.subscriber_id, s.id, $1, sub.email, \
                   '<digest-' || $1 || '-' || s.subscriber_id || '@' || $2 || '>', $3, 'queued', $4, $4 \
                 FROM subscriptions s JOIN subscribers sub ON sub.id = s.subscriber_id \
                 WHERE s.newsletter_id = $5 AND s.status = 'confirmed' ORDER BY s.id",
            )
            .bind(id)
            .bind(d.message_domain)
            .bind(d.subject)
            .bind(d.now)
            .bind(d.newsletter_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let done: super::webhook_events::DigestDone = sqlx::query_as(AssertSqlSafe(format!(
                "UPDATE digests SET recipients = $1, \
                 status = CASE WHEN $1 = 0 THEN 'sent' ELSE status END, \
                 finished_at = CASE WHEN $1 = 0 THEN $2 ELSE NULL END WHERE id = $3 {}",
                super::webhook_events::DIGEST_DONE
            )))
            .bind(recipients as i32)
            .bind(d.now)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            // Nobody to send to: sent already.
            if recipients == 0 {
                super::webhook_events::emit_event!(tx, &done.event(d.now), d.now)?;
            }
            tx.commit().await?;
            Ok(Ok((id, recipients)))
        }.await);
        match made {
            Ok(Ok((id, recipients))) => {
                if let Store::Postgres(p) = self {
                    if recipients >= 1000 {
                        // Autovacuum may not have looked at the table yet:
                        // without fresh statistics the planner guesses a
                        // handful of queued rows and sorts them all on
                        // every claim instead of walking the index.
                        if let Err(e) = sqlx::query("ANALYZE messages").execute(p).await {
                            tracing::warn!(error = %e, "analyzing messages failed");
                        }
                    }
                }
                Ok(Created::New(id))
            }
            Ok(Err(id)) => Ok(Created::Existing(id)),
            // A concurrent request with the same key won the race.
            Err(Error::Conflict) => match self
                .digest_by_key(d.newsletter_id, d.idempotency_key)
                .await?
            {
                Some(id) => Ok(Created::Existing(id)),
                None => Err(Error::Conflict),
            },
            Err(e) => Err(e),
        }
    }

    /// The digest an idempotency key made, if any.
    pub async fn digest_id_by_key(&self, newsletter_id: i64, key: &str) -> Result<Option<i64>> {
        self.digest_by_key(newsletter_id, Some(key)).await
    }

    async fn digest_by_key(&self, newsletter_id: i64, key: Option<&str>) -> Result<Option<i64>> {
        let Some(key) = key else { return Ok(None) };
        Ok(both!(self, p => sqlx::query_scalar(
            "SELECT id FROM digests WHERE newsletter_id = $1 AND idempotency_key = $2",
        )
        .bind(newsletter_id)
        .bind(key)
        .fetch_optional(p)
        .await)?)
    }
}
