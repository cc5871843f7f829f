//! News-feed items: posted by editors or polled from feeds, each for every
//! newsletter or for a list of them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{both, writing, BeginWrite, Error, Result, Store};

/// An item as the admin API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedItem {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub summary: String,
    pub published_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The newsletters it goes to; empty means every newsletter.
    pub newsletters: Vec<String>,
    /// The feed it was polled from, if any.
    pub feed_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    title: String,
    url: String,
    summary: String,
    published_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    feed_id: Option<i64>,
}

/// A new item; text already cleaned, URL already checked.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub title: String,
    pub url: String,
    pub summary: String,
    pub published_at: DateTime<Utc>,
    /// Empty: every newsletter.
    pub newsletter_ids: Vec<i64>,
    /// For polled items: the feed and the entry's GUID (or link) there.
    pub source: Option<(i64, String)>,
}

/// An item as the public news feed shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PublishedItem {
    pub id: i64,
    pub title: String,
    pub url: String,
    pub summary: String,
    pub published_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FeedItemPage {
    pub items: Vec<FeedItem>,
    /// The cursor for the next (older) page, or null.
    pub next: Option<String>,
}

const ITEM_COLUMNS: &str = "id, title, url, summary, published_at, created_at, feed_id";

impl Store {
    /// Adds an item; `Ok(None)` when a feed's entry was added before.
    pub async fn add_item(&self, item: &NewItem, now: DateTime<Utc>) -> Result<Option<i64>> {
        let (feed_id, guid) = match &item.source {
            Some((f, g)) => (Some(*f), Some(g.as_str())),
            None => (None, None),
        };
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO feed_items (title, url, summary, published_at, created_at, all_newsletters, feed_id, guid) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (feed_id, guid) DO NOTHING RETURNING id",
            )
            .bind(&item.title)
            .bind(&item.url)
            .bind(&item.summary)
            .bind(item.published_at)
            .bind(now)
            .bind(item.newsletter_ids.is_empty())
            .bind(feed_id)
            .bind(guid)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = id {
                for n in &item.newsletter_ids {
                    sqlx::query("INSERT INTO feed_item_newsletters (item_id, newsletter_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    async fn item_newsletters(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        // The ids are integers we read ourselves: safe to inline.
        let sql = format!(
            "SELECT fin.item_id, n.slug FROM feed_item_newsletters fin \
             JOIN newsletters n ON n.id = fin.newsletter_id WHERE fin.item_id IN ({list}) ORDER BY n.id"
        );
        Ok(both!(self, p => sqlx::query_as(AssertSqlSafe(sql)).fetch_all(p).await)?)
    }

    async fn with_newsletters(&self, rows: Vec<ItemRow>) -> Result<Vec<FeedItem>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let links = self.item_newsletters(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| FeedItem {
                newsletters: links
                    .iter()
                    .filter(|(id, _)| *id == r.id)
                    .map(|(_, s)| s.clone())
                    .collect(),
                id: r.id,
                title: r.title,
                url: r.url,
                summary: r.summary,
                published_at: r.published_at,
                created_at: r.created_at,
                feed_id: r.feed_id,
            })
            .collect())
    }

    pub async fn feed_item(&self, id: i64) -> Result<FeedItem> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM feed_items WHERE id = $1");
        let row: ItemRow =
            both!(self, p => sqlx::query_as(AssertSqlSafe(sql)).bind(id).fetch_optional(p).await)?
                .ok_or(Error::NotFound)?;
        Ok(self.with_newsletters(vec![row]).await?.remove(0))
    }

    /// Items newest first (by id), `limit` at a time, before the cursor.
    pub async fn list_items(&self, limit: u32, before: Option<i64>) -> Result<FeedItemPage> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM feed_items WHERE id < $1 ORDER BY id DESC LIMIT $2"
        );
        let mut rows: Vec<ItemRow> = both!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit) + 1)
            .fetch_all(p)
            .await)?;
        let next = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.id.to_string())
        } else {
            None
        };
        Ok(FeedItemPage {
            items: self.with_newsletters(rows).await?,
            next,
        })
    }

    /// Items published by `now`, newest first (by publication, then id):
    /// `limit` of them after skipping `offset`. An item published later
    /// (an embargo) stays out until its time.
    pub async fn published_items(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<PublishedItem>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT id, title, url, summary, published_at, created_at FROM feed_items \
             WHERE published_at <= $1 ORDER BY published_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(now)
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(p)
        .await)?)
    }

    pub async fn delete_item(&self, id: i64) -> Result<()> {
        let n = writing!(self, p => sqlx::query("DELETE FROM feed_items WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }
}
