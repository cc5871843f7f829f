//! RSS and Atom feeds that Herald polls into feed items, and the lease that
//! keeps several processes on one database from polling a feed at once.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{both, writing, BeginWrite, Error, Result, SqliteWriter, Store};

/// A feed as the admin API shows it, with the outcome of its last poll so an
/// admin can see why nothing arrives.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Feed {
    pub id: i64,
    pub url: String,
    /// The newsletters its items go to; empty means every newsletter.
    pub newsletters: Vec<String>,
    pub interval_secs: i32,
    pub last_polled_at: Option<DateTime<Utc>>,
    /// Why the last poll failed; null when it succeeded (or none ran yet).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct FeedRow {
    id: i64,
    url: String,
    interval_secs: i32,
    last_polled_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
}

/// A feed to add; the URL already checked and normalised.
#[derive(Debug, Clone)]
pub struct NewFeed {
    pub url: String,
    pub interval_secs: i32,
    /// Empty: every newsletter.
    pub newsletter_ids: Vec<i64>,
}

/// A feed claimed for one poll.
#[derive(Debug, Clone)]
pub struct DueFeed {
    pub id: i64,
    pub url: String,
    pub interval_secs: i32,
    /// Where its items go; `None` means every newsletter.
    pub newsletter_ids: Option<Vec<i64>>,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    url: String,
    interval_secs: i32,
    all_newsletters: bool,
}

const FEED_COLUMNS: &str = "id, url, interval_secs, last_polled_at, last_error, created_at";

impl Store {
    /// Adds a feed, due at once; `Conflict` when the URL is there already.
    pub async fn add_feed(&self, feed: &NewFeed, now: DateTime<Utc>) -> Result<i64> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO feeds (url, interval_secs, all_newsletters, next_poll_at, created_at) \
                 VALUES ($1, $2, $3, $4, $4) RETURNING id",
            )
            .bind(&feed.url)
            .bind(feed.interval_secs)
            .bind(feed.newsletter_ids.is_empty())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(Error::from_insert)?;
            for n in &feed.newsletter_ids {
                sqlx::query("INSERT INTO feed_newsletters (feed_id, newsletter_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// `(feed_id, slug)` pairs, for one feed or (`None`) for all.
    async fn feed_slugs(&self, feed: Option<i64>) -> Result<Vec<(i64, String)>> {
        let sql = "SELECT fnl.feed_id, n.slug FROM feed_newsletters fnl \
                   JOIN newsletters n ON n.id = fnl.newsletter_id \
                   WHERE $1 IS NULL OR fnl.feed_id = $1 ORDER BY n.id";
        Ok(both!(self, p => sqlx::query_as(sql).bind(feed).fetch_all(p).await)?)
    }

    fn with_slugs(rows: Vec<FeedRow>, links: &[(i64, String)]) -> Vec<Feed> {
        rows.into_iter()
            .map(|r| Feed {
                newsletters: links
                    .iter()
                    .filter(|(id, _)| *id == r.id)
                    .map(|(_, s)| s.clone())
                    .collect(),
                id: r.id,
                url: r.url,
                interval_secs: r.interval_secs,
                last_polled_at: r.last_polled_at,
                last_error: r.last_error,
                created_at: r.created_at,
            })
            .collect()
    }

    pub async fn feed(&self, id: i64) -> Result<Feed> {
        let sql = format!("SELECT {FEED_COLUMNS} FROM feeds WHERE id = $1");
        let row: FeedRow =
            both!(self, p => sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?
                .ok_or(Error::NotFound)?;
        let links = self.feed_slugs(Some(id)).await?;
        Ok(Self::with_slugs(vec![row], &links).remove(0))
    }

    /// Every feed, oldest first. Feeds are few (an admin adds each by hand),
    /// so there is no paging.
    pub async fn list_feeds(&self) -> Result<Vec<Feed>> {
        let sql = format!("SELECT {FEED_COLUMNS} FROM feeds ORDER BY id");
        let rows: Vec<FeedRow> =
            both!(self, p => sqlx::query_as(AssertSqlSafe(sql)).fetch_all(p).await)?;
        let links = self.feed_slugs(None).await?;
        Ok(Self::with_slugs(rows, &links))
    }

    /// Removes a feed; the items it brought stay (their `feed_id` turns null).
    pub async fn delete_feed(&self, id: i64) -> Result<()> {
        let n = writing!(self, p => sqlx::query("DELETE FROM feeds WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Claims up to `limit` feeds due at `now` by pushing their next poll to
    /// `lease_until`: another process skips them until then, and a poll that
    /// dies half-way is retried once the lease runs out. PostgreSQL skips
    /// rows another claim holds; SQLite serialises writers anyway.
    pub async fn claim_feeds(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueFeed>> {
        // A read first: most rounds find nothing due, and a bare UPDATE would
        // take SQLite's write lock every second for nothing.
        let due: Option<i64> = both!(self, p => sqlx::query_scalar("SELECT id FROM feeds WHERE next_poll_at <= $1 LIMIT 1")
            .bind(now)
            .fetch_optional(p)
            .await)?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let pick =
            "SELECT id FROM feeds WHERE next_poll_at <= $2 ORDER BY next_poll_at, id LIMIT $3";
        let sql = |lock: &str| {
            format!(
                "UPDATE feeds SET next_poll_at = $1 WHERE id IN ({pick}{lock}) \
                 RETURNING id, url, interval_secs, all_newsletters"
            )
        };
        let rows: Vec<DueRow> = match self {
            Store::Sqlite(p) => {
                sqlx::query_as(AssertSqlSafe(sql("")))
                    .bind(lease_until)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(&mut *SqliteWriter::acquire(p).await?)
                    .await?
            }
            Store::Postgres(p) => {
                sqlx::query_as(AssertSqlSafe(sql(" FOR UPDATE SKIP LOCKED")))
                    .bind(lease_until)
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(p)
                    .await?
            }
        };
        let mut feeds = Vec::with_capacity(rows.len());
        for r in rows {
            let newsletter_ids = if r.all_newsletters {
                None
            } else {
                Some(
                    both!(self, p => sqlx::query_scalar("SELECT newsletter_id FROM feed_newsletters WHERE feed_id = $1 ORDER BY newsletter_id")
                    .bind(r.id)
                    .fetch_all(p)
                    .await)?,
                )
            };
            feeds.push(DueFeed {
                id: r.id,
                url: r.url,
                interval_secs: r.interval_secs,
                newsletter_ids,
            });
        }
        Ok(feeds)
    }

    /// Records a poll's outcome (`error` null on success) and when the feed
    /// is due next, which also ends the lease.
    pub async fn finish_poll(
        &self,
        id: i64,
        polled_at: DateTime<Utc>,
        next_poll_at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<()> {
        writing!(self, p => sqlx::query(
            "UPDATE feeds SET last_polled_at = $1, last_error = $2, next_poll_at = $3 WHERE id = $4",
        )
        .bind(polled_at)
        .bind(error)
        .bind(next_poll_at)
        .bind(id)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }
}
