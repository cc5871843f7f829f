//! A digest after its creation: reading it with its delivery counts, pause,
//! resume and cancel, and the worker's progress updates.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AssertSqlSafe;

use super::{both, writing, BeginWrite, Error, Result, Store};
use crate::domain::{DigestStatus, MessageStatus};

/// A digest as the admin API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Digest {
    pub id: i64,
    pub newsletter: String,
    /// queued, sending, paused, sent or cancelled
    pub status: DigestStatus,
    pub subject: String,
    pub items: i64,
    pub recipients: i64,
    pub sent: i64,
    pub failed: i64,
    /// Unsubscribed before their turn, or cancelled.
    pub skipped: i64,
    pub pending: i64,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The last SMTP replies of failed deliveries (at most 20).
    pub failures: Vec<DigestFailure>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DigestFailure {
    pub recipient: String,
    pub error: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DigestRow {
    id: i64,
    newsletter: String,
    status: DigestStatus,
    subject: String,
    items: i32,
    recipients: i32,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

/// What the worker needs to build each recipient's copy.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DigestBody {
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub newsletter_slug: String,
    pub newsletter_name: String,
    pub from_name: Option<String>,
    pub from_address: Option<String>,
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAction {
    Pause,
    Resume,
    Cancel,
}

impl Store {
    /// A digest with its delivery counts.
    pub async fn digest(&self, id: i64) -> Result<Digest> {
        both!(self, p => {
            let row: DigestRow = sqlx::query_as(
                "SELECT d.id, n.slug AS newsletter, d.status, d.subject, d.items, d.recipients, \
                 d.created_at, d.finished_at FROM digests d JOIN newsletters n ON n.id = d.newsletter_id \
                 WHERE d.id = $1",
            )
            .bind(id)
            .fetch_optional(p)
            .await?
            .ok_or(Error::NotFound)?;
            let counts: Vec<(MessageStatus, i64)> = sqlx::query_as(
                "SELECT status, COUNT(*) FROM messages WHERE digest_id = $1 GROUP BY status",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            let failures = sqlx::query_as(
                "SELECT recipient, last_error AS error FROM messages \
                 WHERE digest_id = $1 AND status = 'failed' ORDER BY id DESC LIMIT 20",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            let count = |of: &[MessageStatus]| -> i64 {
                counts.iter().filter(|(s, _)| of.contains(s)).map(|(_, n)| n).sum()
            };
            Ok(Digest {
                id: row.id,
                newsletter: row.newsletter,
                status: row.status,
                subject: row.subject,
                items: i64::from(row.items),
                recipients: i64::from(row.recipients),
                sent: count(&[MessageStatus::Sent]),
                failed: count(&[MessageStatus::Failed]),
                skipped: count(&[MessageStatus::Skipped, MessageStatus::Cancelled]),
                pending: count(&[MessageStatus::Queued, MessageStatus::Sending]),
                created_at: row.created_at,
                finished_at: row.finished_at,
                failures,
            })
        })
    }

    /// Pauses, resumes or cancels; `Conflict` when the digest is in a state
    /// that can't change that way (a finished one, say).
    pub async fn digest_action(
        &self,
        id: i64,
        action: DigestAction,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (from, to): (&[&str], &str) = match action {
            DigestAction::Pause => (&["queued", "sending"], "paused"),
            DigestAction::Resume => (&["paused"], "sending"),
            DigestAction::Cancel => (&["queued", "sending", "paused"], "cancelled"),
        };
        let allowed = from
            .iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE digests SET status = $1, finished_at = CASE WHEN $1 = 'cancelled' THEN $2 ELSE finished_at END \
             WHERE id = $3 AND status IN ({allowed})"
        );
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let changed = sqlx::query(AssertSqlSafe(sql))
                .bind(to)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM digests WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return Err(if exists.is_some() { Error::Conflict } else { Error::NotFound });
            }
            if action == DigestAction::Cancel {
                sqlx::query(
                    "UPDATE messages SET status = 'cancelled' WHERE digest_id = $1 AND status = 'queued'",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<(), Error>(())
        })?;
        // A resumed digest with nothing left is done.
        self.finish_digest_if_done(id, now).await
    }

    /// The rendered digest and its newsletter's sender, for the worker.
    pub async fn digest_body(&self, id: i64) -> Result<DigestBody> {
        both!(self, p => sqlx::query_as(
            "SELECT d.subject, d.body_text, d.body_html, n.slug AS newsletter_slug, \
             n.name AS newsletter_name, n.from_name, n.from_address, n.reply_to \
             FROM digests d JOIN newsletters n ON n.id = d.newsletter_id WHERE d.id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?
        .ok_or(Error::NotFound)
    }

    /// Marks queued digests whose deliveries were just claimed as sending.
    pub async fn mark_digest_sending(&self, id: i64) -> Result<()> {
        writing!(self, p => sqlx::query("UPDATE digests SET status = 'sending' WHERE id = $1 AND status = 'queued'")
            .bind(id)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// After a retry: if the digest was cancelled meanwhile, what the retry
    /// put back in the queue is cancelled too (a retry racing a cancel).
    pub async fn cancel_leftovers(&self, id: i64) -> Result<()> {
        writing!(self, p => sqlx::query(
            "UPDATE messages SET status = 'cancelled' WHERE digest_id = $1 AND status = 'queued' \
             AND EXISTS (SELECT 1 FROM digests WHERE id = $1 AND status = 'cancelled')",
        )
        .bind(id)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// A digest with nothing left queued or in flight is sent (failures
    /// included). Looks first, so the common case (more to send) writes
    /// nothing.
    pub async fn finish_digest_if_done(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        let busy: Option<i32> = both!(self, p => sqlx::query_scalar(
            "SELECT 1 FROM messages WHERE digest_id = $1 AND status IN ('queued', 'sending') LIMIT 1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        if busy.is_some() {
            return Ok(());
        }
        // The change and its `digest.sent` event commit together.
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let done: Option<super::webhook_events::DigestDone> = sqlx::query_as(AssertSqlSafe(format!(
                "UPDATE digests SET status = 'sent', finished_at = $1 \
                 WHERE id = $2 AND status IN ('queued', 'sending') AND NOT EXISTS \
                 (SELECT 1 FROM messages WHERE digest_id = $2 AND status IN ('queued', 'sending')) \
                 {}",
                super::webhook_events::DIGEST_DONE
            )))
            .bind(now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(done) = done {
                super::webhook_events::emit_event!(tx, &done.event(now), now)?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}
