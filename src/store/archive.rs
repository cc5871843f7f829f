//! The public archive's reads: a newsletter's sent digests, their
//! headlines, and one of them as it was stored when it was built (with the
//! personal-link sentinels still in it).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{both, Error, Result, Store};

/// A sent digest in a newsletter's archive list.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SentDigest {
    pub id: i64,
    pub subject: String,
    /// When its last delivery was done (its creation, for a digest that
    /// had no recipients).
    pub sent_at: DateTime<Utc>,
}

/// One sent digest as built, before any reader's links went in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ArchivedDigest {
    pub id: i64,
    pub subject: String,
    pub body_html: String,
    pub sent_at: DateTime<Utc>,
}

/// Only digests whose sending is over make the archive: a queued, sending
/// or paused one is not out yet, a cancelled one never fully went out.
const SENT: &str = "status = 'sent'";

impl Store {
    /// A newsletter's sent digests, newest first: `limit` after `offset`.
    pub async fn sent_digests(
        &self,
        newsletter_id: i64,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<SentDigest>> {
        let sql = format!(
            "SELECT id, subject, COALESCE(finished_at, created_at) AS sent_at FROM digests \
             WHERE newsletter_id = $1 AND {SENT} ORDER BY id DESC LIMIT $2 OFFSET $3"
        );
        Ok(both!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .bind(newsletter_id)
            .bind(i64::from(limit))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(p)
            .await)?)
    }

    /// The titles of the items in each of `digest_ids`, in their order in
    /// the digest: `(digest id, title)`.
    pub async fn digest_headlines(&self, digest_ids: &[i64]) -> Result<Vec<(i64, String)>> {
        if digest_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = digest_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // The ids are integers we read ourselves: safe to inline.
        let sql = format!(
            "SELECT di.digest_id, i.title FROM digest_items di JOIN feed_items i ON i.id = di.item_id \
             WHERE di.digest_id IN ({list}) ORDER BY di.digest_id, di.position"
        );
        Ok(both!(self, p => sqlx::query_as(AssertSqlSafe(sql)).fetch_all(p).await)?)
    }

    /// Digest `id` of the newsletter, if it was sent; `NotFound` for one
    /// of another newsletter or not sent (yet).
    pub async fn sent_digest(&self, newsletter_id: i64, id: i64) -> Result<ArchivedDigest> {
        let sql = format!(
            "SELECT id, subject, body_html, COALESCE(finished_at, created_at) AS sent_at \
             FROM digests WHERE id = $1 AND newsletter_id = $2 AND {SENT}"
        );
        both!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .bind(id)
            .bind(newsletter_id)
            .fetch_optional(p)
            .await)?
        .ok_or(Error::NotFound)
    }
}
