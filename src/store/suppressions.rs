//! Suppressed addresses: those that bounced or complained. A suppression
//! moves the address's confirmed subscriptions to `bounced` or
//! `complained`, so digests skip them; lifting it moves them back.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{both, BeginWrite, Result, Store};
use crate::domain::SuppressionReason;

/// One suppressed address, as the admin list shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Suppression {
    #[serde(skip)]
    pub id: i64,
    /// `null` once the address was erased.
    pub email: Option<String>,
    pub reason: SuppressionReason,
    /// Where it was learnt: `smtp`, `dsn`, `arf`, `ses`, `postmark`.
    pub source: String,
    /// The SMTP reply or the report's text (`null` once erased).
    pub evidence: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What suppressing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppressed {
    /// The address was not suppressed before (or for a lesser reason).
    New,
    /// It already was: nothing changed.
    Already,
}

/// What is written for one suppression.
pub struct NewSuppression<'a> {
    pub email: &'a str,
    /// The address's keyed hash, kept when it is erased.
    pub email_hash: &'a str,
    pub reason: SuppressionReason,
    pub source: &'a str,
    pub evidence: Option<&'a str>,
}

/// Lifts the suppression of the subscriber `$subscriber` inside the
/// transaction `$tx`: the row goes, bounced subscriptions are confirmed
/// again and complained ones count as unsubscribed. Evaluates to the
/// number of suppression rows removed.
macro_rules! lift_suppression {
    ($tx:expr, $subscriber:expr, $now:expr) => {
        async {
            let removed = sqlx::query(
                "DELETE FROM suppressions WHERE email = (SELECT email FROM subscribers WHERE id = $1)",
            )
            .bind($subscriber)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            sqlx::query(
                "DELETE FROM soft_bounces WHERE email = (SELECT email FROM subscribers WHERE id = $1)",
            )
            .bind($subscriber)
            .execute(&mut *$tx)
            .await?;
            if removed > 0 {
                sqlx::query(
                    "UPDATE subscriptions SET updated_at = $2, \
                       status = CASE WHEN status = 'bounced' THEN 'confirmed' ELSE 'unsubscribed' END, \
                       unsubscribed_at = CASE WHEN status = 'complained' THEN $2 ELSE unsubscribed_at END \
                     WHERE subscriber_id = $1 AND status IN ('bounced', 'complained')",
                )
                .bind($subscriber)
                .bind($now)
                .execute(&mut *$tx)
                .await?;
            }
            Ok::<u64, sqlx::Error>(removed)
        }
        .await
    };
}
pub(crate) use lift_suppression;

impl Store {
    /// Suppresses an address, and moves its confirmed subscriptions to the
    /// reason's status. A complaint overrides a bounce; a bounce never
    /// overrides a complaint.
    pub async fn suppress(&self, s: &NewSuppression<'_>, now: DateTime<Utc>) -> Result<Suppressed> {
        let status = s.reason.status();
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let current: Option<SuppressionReason> =
                sqlx::query_scalar("SELECT reason FROM suppressions WHERE email = $1")
                    .bind(s.email)
                    .fetch_optional(&mut *tx)
                    .await?;
            // A late report about an erased address that has not come
            // back: the suppression is kept by hash only, the address is
            // not written again, and nobody is told.
            let erased_and_gone: bool = current.is_none()
                && sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM erased WHERE email_hash = $1) \
                       AND NOT EXISTS (SELECT 1 FROM subscribers WHERE email = $2)",
                )
                .bind(s.email_hash)
                .bind(s.email)
                .fetch_one(&mut *tx)
                .await?;
            let outcome = match current {
                None if erased_and_gone => {
                    sqlx::query(
                        "INSERT INTO suppressions (email, email_hash, reason, source, evidence, created_at) \
                         VALUES (NULL, $1, $2, $3, NULL, $4) ON CONFLICT (email_hash) DO NOTHING",
                    )
                    .bind(s.email_hash)
                    .bind(s.reason)
                    .bind(s.source)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(Suppressed::Already);
                }
                Some(r) if r == s.reason || r == SuppressionReason::Complained => {
                    return Ok(Suppressed::Already);
                }
                Some(_) => {
                    sqlx::query(
                        "UPDATE suppressions SET reason = $2, source = $3, evidence = $4, created_at = $5 \
                         WHERE email = $1",
                    )
                    .bind(s.email)
                    .bind(s.reason)
                    .bind(s.source)
                    .bind(s.evidence)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    Suppressed::New
                }
                None => {
                    // An erased address that signed up again keeps one row.
                    sqlx::query(
                        "INSERT INTO suppressions (email, email_hash, reason, source, evidence, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (email_hash) DO UPDATE SET email = excluded.email, \
                           reason = excluded.reason, source = excluded.source, \
                           evidence = excluded.evidence, created_at = excluded.created_at",
                    )
                    .bind(s.email)
                    .bind(s.email_hash)
                    .bind(s.reason)
                    .bind(s.source)
                    .bind(s.evidence)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    Suppressed::New
                }
            };
            sqlx::query(
                "UPDATE subscriptions SET status = $1, updated_at = $2 \
                 WHERE subscriber_id = (SELECT id FROM subscribers WHERE email = $3) \
                   AND status IN ('confirmed', 'bounced')",
            )
            .bind(status)
            .bind(now)
            .bind(s.email)
            .execute(&mut *tx)
            .await?;
            if outcome == Suppressed::New {
                let event = super::webhook_events::suppression_event(s, now);
                super::webhook_events::emit_event!(tx, &event, now)?;
            }
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Lifts an address's suppression. False if it had none.
    pub async fn lift_suppression(&self, email: &str, now: DateTime<Utc>) -> Result<bool> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let subscriber: Option<i64> = sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1")
                .bind(email)
                .fetch_optional(&mut *tx)
                .await?;
            let removed = match subscriber {
                Some(id) => lift_suppression!(tx, id, now)?,
                None => sqlx::query("DELETE FROM suppressions WHERE email = $1")
                    .bind(email)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected(),
            };
            sqlx::query("DELETE FROM soft_bounces WHERE email = $1")
                .bind(email)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(removed > 0)
        })
    }

    pub async fn suppression(&self, email: &str) -> Result<Option<Suppression>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT id, email, reason, source, evidence, created_at FROM suppressions WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(p)
        .await)?)
    }

    /// Suppressions newest first, `limit` after the row with id `before`
    /// (0: from the newest).
    pub async fn suppressions(&self, before: i64, limit: u32) -> Result<Vec<Suppression>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT id, email, reason, source, evidence, created_at FROM suppressions \
             WHERE ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)?)
    }

    pub async fn suppression_count(&self) -> Result<i64> {
        Ok(
            both!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM suppressions WHERE email IS NOT NULL")
            .fetch_one(p)
            .await)?,
        )
    }

    /// Of `emails`, those that are suppressed.
    pub async fn suppressed_among(&self, emails: &[&str]) -> Result<Vec<String>> {
        if emails.is_empty() {
            return Ok(Vec::new());
        }
        let list = serde_json::to_string(emails).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let sql = match self {
            Store::Sqlite(_) => {
                "SELECT email FROM suppressions WHERE email IN (SELECT value FROM json_each($1))"
            }
            Store::Postgres(_) => {
                "SELECT email FROM suppressions WHERE email IN \
                 (SELECT jsonb_array_elements_text($1::jsonb))"
            }
        };
        Ok(both!(self, p => sqlx::query_scalar(sql).bind(&list).fetch_all(p).await)?)
    }

    /// Records that `email`'s delivery of digest `digest_id` ended failed
    /// after temporary failures; answers in how many different digests
    /// that has now happened.
    pub async fn record_soft_bounce(
        &self,
        email: &str,
        digest_id: i64,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query(
                "INSERT INTO soft_bounces (email, digest_id, at) VALUES ($1, $2, $3) \
                 ON CONFLICT (email, digest_id) DO NOTHING",
            )
            .bind(email)
            .bind(digest_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM soft_bounces WHERE email = $1")
                .bind(email)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(n)
        })
    }
}
