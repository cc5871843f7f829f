//! Read-only views the web console needs beyond the admin API: per-status
//! counts, signup and unsubscribe times for the dashboard chart, recent
//! digests, and a subscriber search by address.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{both, Result, Store, SubscriberPage, SubscriberRow};
use crate::domain::SubscriptionStatus;

/// A newsletter's subscriptions by status.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct StatusCounts {
    pub confirmed: i64,
    pub pending: i64,
    pub unsubscribed: i64,
    pub bounced: i64,
    pub complained: i64,
}

/// How many signups (`kind` = `signup`) or unsubscribes (`unsubscribe`)
/// happened on one UTC day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DayCount {
    pub day: String,
    pub kind: String,
    pub n: i64,
}

impl Store {
    pub async fn status_counts(&self, newsletter_id: i64) -> Result<StatusCounts> {
        let rows: Vec<(String, i64)> = both!(self, p => sqlx::query_as(
            "SELECT status, COUNT(*) FROM subscriptions WHERE newsletter_id = $1 GROUP BY status",
        )
        .bind(newsletter_id)
        .fetch_all(p)
        .await)?;
        let mut c = StatusCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "confirmed" => c.confirmed = n,
                "pending" => c.pending = n,
                "unsubscribed" => c.unsubscribed = n,
                "bounced" => c.bounced = n,
                "complained" => c.complained = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// Signups and unsubscribes per UTC day (`YYYY-MM-DD`) since `since`,
    /// counted in the database: at most one row per day and kind.
    pub async fn daily_activity(
        &self,
        newsletter_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<DayCount>> {
        // SQLite keeps RFC 3339 text in UTC, whose first ten characters are the day.
        let day = |column: &str| match self {
            Store::Sqlite(_) => format!("substr({column}, 1, 10)"),
            Store::Postgres(_) => format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
        };
        let sql = format!(
            "SELECT {} AS day, 'signup' AS kind, COUNT(*) AS n FROM subscriptions \
             WHERE newsletter_id = $1 AND created_at >= $2 GROUP BY 1 \
             UNION ALL \
             SELECT {} AS day, 'unsubscribe' AS kind, COUNT(*) AS n FROM subscriptions \
             WHERE newsletter_id = $1 AND unsubscribed_at >= $2 GROUP BY 1",
            day("created_at"),
            day("unsubscribed_at"),
        );
        Ok(both!(self, p => sqlx::query_as(AssertSqlSafe(sql))
            .bind(newsletter_id)
            .bind(since)
            .fetch_all(p)
            .await)?)
    }

    /// The ids of the newest digests, of one newsletter or of all.
    pub async fn recent_digest_ids(
        &self,
        newsletter_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<i64>> {
        Ok(both!(self, p => sqlx::query_scalar(
            "SELECT id FROM digests WHERE ($1 IS NULL OR newsletter_id = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(newsletter_id)
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)?)
    }

    /// Like `list_subscribers`, narrowed to addresses containing `query`
    /// (case-insensitive; `%` and `_` match themselves).
    pub async fn search_subscribers(
        &self,
        newsletter_id: i64,
        status: Option<SubscriptionStatus>,
        query: Option<&str>,
        limit: u32,
        after: i64,
    ) -> Result<SubscriberPage> {
        let pattern = query.map(|q| {
            let escaped = q
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let mut rows: Vec<SubscriberRow> = both!(self, p => sqlx::query_as(
            "SELECT s.id, sub.email, sub.name, s.status, s.created_at, s.confirmed_at, s.unsubscribed_at \
             FROM subscriptions s JOIN subscribers sub ON sub.id = s.subscriber_id \
             WHERE s.newsletter_id = $1 AND ($2 IS NULL OR s.status = $2) AND s.id > $3 \
             AND ($5 IS NULL OR LOWER(sub.email) LIKE $5 ESCAPE '\\') \
             ORDER BY s.id LIMIT $4",
        )
        .bind(newsletter_id)
        .bind(status)
        .bind(after)
        .bind(i64::from(limit) + 1)
        .bind(pattern)
        .fetch_all(p)
        .await)?;
        let next = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|r| r.id.to_string())
        } else {
            None
        };
        Ok(SubscriberPage {
            subscribers: rows,
            next,
        })
    }
}
