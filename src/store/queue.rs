//! The durable outgoing-mail queue. Rows are claimed with a lease
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's single writer makes the
//! one-statement claim atomic), sent with no transaction open, and their
//! outcome recorded one message at a time.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{both, writing, BeginWrite, Result, SqliteWriter, Store};
use crate::domain::{MessageKind, SubscriptionStatus};

/// A message to queue, rendered already.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub recipient: String,
    pub message_id: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// From and Reply-To when not the configured default sender.
    pub sender: Option<String>,
    pub reply_to: Option<String>,
    /// The subscription a welcome email is for: its links and list
    /// headers are filled in at send time.
    pub subscription_id: Option<i64>,
}

/// A claimed message, leased to one worker until `lease_until`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedMessage {
    pub id: i64,
    pub kind: MessageKind,
    pub recipient: String,
    pub message_id: String,
    pub subject: String,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    pub sender: Option<String>,
    pub reply_to: Option<String>,
    /// Set for a digest delivery, whose body is rendered at send time.
    pub digest_id: Option<i64>,
    pub subscription_id: Option<i64>,
    pub subscriber_id: Option<i64>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    /// For a digest delivery, the reader's subscription status at claim
    /// time (`None` when the subscription is gone).
    pub subscription_status: Option<SubscriptionStatus>,
}

impl NewMessage {
    /// Queues the message inside the caller's transaction.
    pub(crate) async fn insert<'c, C>(
        &self,
        conn: C,
        subscriber_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()>
    where
        C: QueueConn<'c>,
    {
        conn.insert_messages([(self, subscriber_id)], now).await
    }
}

/// A connection of either backend that can queue messages; keeps the
/// insert written once without generic bounds on `Database`.
pub(crate) trait QueueConn<'c> {
    /// Queues messages (each with its subscriber) in one statement.
    async fn insert_messages<'m>(
        self,
        messages: impl IntoIterator<Item = (&'m NewMessage, Option<i64>)>,
        now: DateTime<Utc>,
    ) -> sqlx::Result<()>;
}

macro_rules! impl_queue_conn {
    ($conn:ty) => {
        impl<'c> QueueConn<'c> for &'c mut $conn {
            async fn insert_messages<'m>(
                self,
                messages: impl IntoIterator<Item = (&'m NewMessage, Option<i64>)>,
                now: DateTime<Utc>,
            ) -> sqlx::Result<()> {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO messages (kind, subscriber_id, recipient, message_id, subject, \
                     body_text, body_html, sender, reply_to, status, next_attempt_at, created_at, \
                     subscription_id) ",
                );
                qb.push_values(messages, |mut b, (m, subscriber_id)| {
                    b.push_bind(m.kind)
                        .push_bind(subscriber_id)
                        .push_bind(m.recipient.as_str())
                        .push_bind(m.message_id.as_str())
                        .push_bind(m.subject.as_str())
                        .push_bind(m.body_text.as_str())
                        .push_bind(m.body_html.as_str())
                        .push_bind(m.sender.as_deref())
                        .push_bind(m.reply_to.as_deref())
                        .push("'queued'")
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(m.subscription_id);
                });
                qb.build().execute(self).await.map(|_| ())
            }
        }
    };
}
impl_queue_conn!(sqlx::SqliteConnection);
impl_queue_conn!(sqlx::PgConnection);

const RETURNING: &str =
    "RETURNING id, kind, recipient, message_id, subject, body_text, body_html, sender, reply_to, \
     digest_id, subscription_id, subscriber_id, attempts, created_at, \
     (SELECT s.status FROM subscriptions s WHERE s.id = messages.subscription_id) AS subscription_status";

/// Deliveries of a paused or cancelled digest wait where they are.
const DIGEST_LIVE: &str = "(digest_id IS NULL OR EXISTS (SELECT 1 FROM digests d \
     WHERE d.id = messages.digest_id AND d.status IN ('queued', 'sending')))";

impl Store {
    /// Queues one message of no subscriber's (a test digest).
    pub async fn queue_message(&self, m: &NewMessage, now: DateTime<Utc>) -> Result<()> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            m.insert(&mut *tx, None, now).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Leases up to `limit` due messages to `worker`: first ones whose
    /// previous lease ran out (a crashed worker), then the priority lane
    /// (due mail that is not a digest delivery: confirmations, welcomes),
    /// then any queued ones whose time has come, oldest first.
    ///
    /// Separate statements, each walking its own partial index and
    /// stopping at its limit: one `OR` of the conditions can't be read in
    /// index order and would sort every due row on every claim.
    pub async fn claim_messages(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMessage>> {
        // A worker never takes back what it still holds: a lease that ran
        // out under a slow send is for other workers to reclaim.
        let expired = format!(
            "SELECT id FROM messages WHERE status = 'sending' AND lease_until < $3 \
             AND worker_id <> $2 AND {DIGEST_LIVE} ORDER BY lease_until LIMIT $4"
        );
        let priority = "SELECT id FROM messages WHERE status = 'queued' AND digest_id IS NULL \
             AND next_attempt_at <= $3 ORDER BY next_attempt_at, id LIMIT $4"
            .to_string();
        let due = format!(
            "SELECT id FROM messages WHERE status = 'queued' AND next_attempt_at <= $3 \
             AND {DIGEST_LIVE} ORDER BY next_attempt_at, id LIMIT $4"
        );
        let sql = |pick: &str, lock: &str| {
            format!(
                "UPDATE messages SET status = 'sending', lease_until = $1, worker_id = $2, \
                 attempts = attempts + 1 WHERE id IN ({pick}{lock}) {RETURNING}"
            )
        };
        let picks = [expired, priority, due];
        let mut claimed: Vec<QueuedMessage> = Vec::new();
        match self {
            Store::Sqlite(p) => {
                let mut writer = SqliteWriter::acquire(p).await?;
                for pick in &picks {
                    let want = limit as usize - claimed.len();
                    if want == 0 {
                        break;
                    }
                    let mut rows = sqlx::query_as(AssertSqlSafe(sql(pick, "")))
                        .bind(lease_until)
                        .bind(worker)
                        .bind(now)
                        .bind(want as i64)
                        .fetch_all(&mut *writer)
                        .await?;
                    claimed.append(&mut rows);
                }
            }
            Store::Postgres(p) => {
                // One transaction for every pick. Its commit doesn't wait
                // for the WAL flush: a claim lost to a database crash only
                // puts a message back in the queue, and one that was sent
                // meanwhile is one in flight, which may go out twice
                // anyway. The outcome's synchronous commit flushes the
                // claim too.
                let mut tx = p.begin().await?;
                sqlx::query("SET LOCAL synchronous_commit = off")
                    .execute(&mut *tx)
                    .await?;
                for pick in &picks {
                    let want = limit as usize - claimed.len();
                    if want == 0 {
                        break;
                    }
                    let mut rows =
                        sqlx::query_as(AssertSqlSafe(sql(pick, " FOR UPDATE SKIP LOCKED")))
                            .bind(lease_until)
                            .bind(worker)
                            .bind(now)
                            .bind(want as i64)
                            .fetch_all(&mut *tx)
                            .await?;
                    claimed.append(&mut rows);
                }
                tx.commit().await?;
            }
        }
        Ok(claimed)
    }

    /// Records deliveries, many in one statement. The bodies are dropped:
    /// they may hold a live token.
    pub async fn mark_sent_many(
        &self,
        ids: &[i64],
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let set = "UPDATE messages SET status = 'sent', sent_at = $1, lease_until = NULL, \
             last_error = NULL, body_text = NULL, body_html = NULL";
        match self {
            Store::Sqlite(p) => {
                let list = serde_json::to_string(ids).expect("integers serialise");
                sqlx::query(AssertSqlSafe(format!(
                    "{set} WHERE id IN (SELECT value FROM json_each($2)) \
                     AND worker_id = $3 AND status = 'sending'"
                )))
                .bind(now)
                .bind(list)
                .bind(worker)
                .execute(&mut *SqliteWriter::acquire(p).await?)
                .await?;
            }
            Store::Postgres(p) => {
                sqlx::query(AssertSqlSafe(format!(
                    "{set} WHERE id = ANY($2) AND worker_id = $3 AND status = 'sending'"
                )))
                .bind(now)
                .bind(ids)
                .bind(worker)
                .execute(p)
                .await?;
            }
        }
        Ok(())
    }

    /// Records a delivery. The body is dropped: it may hold a live token.
    pub async fn mark_sent(&self, id: i64, worker: &str, now: DateTime<Utc>) -> Result<()> {
        writing!(self, p => sqlx::query(
            "UPDATE messages SET status = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL, \
             body_text = NULL, body_html = NULL WHERE id = $2 AND worker_id = $3 AND status = 'sending'",
        )
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Puts a message back in the queue after a temporary failure.
    pub async fn mark_retry(
        &self,
        id: i64,
        worker: &str,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> Result<()> {
        writing!(self, p => sqlx::query(
            "UPDATE messages SET next_attempt_at = $1, lease_until = NULL, last_error = $2, \
             status = CASE WHEN EXISTS (SELECT 1 FROM digests d WHERE d.id = messages.digest_id \
                      AND d.status = 'cancelled') THEN 'cancelled' ELSE 'queued' END \
             WHERE id = $3 AND worker_id = $4 AND status = 'sending'",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Gives up on a message (a permanent SMTP reply, or retried too long).
    pub async fn mark_failed(&self, id: i64, worker: &str, error: &str) -> Result<()> {
        writing!(self, p => sqlx::query(
            "UPDATE messages SET status = 'failed', lease_until = NULL, last_error = $1, \
             body_text = NULL, body_html = NULL WHERE id = $2 AND worker_id = $3 AND status = 'sending'",
        )
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Skips a digest delivery whose reader unsubscribed before its turn.
    pub async fn mark_skipped(&self, id: i64, worker: &str, reason: &str) -> Result<()> {
        writing!(self, p => sqlx::query(
            "UPDATE messages SET status = 'skipped', lease_until = NULL, last_error = $1 \
             WHERE id = $2 AND worker_id = $3 AND status = 'sending'",
        )
        .bind(reason)
        .bind(id)
        .bind(worker)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// When the next queued message falls due, if any: lets an idle worker
    /// sleep exactly as long as it may.
    pub async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        let queued = format!(
            "SELECT MIN(next_attempt_at) FROM messages WHERE status = 'queued' AND {DIGEST_LIVE}"
        );
        // A paused digest's expired lease is not claimable: leaving it in
        // would wake the worker every 5 ms until the digest resumes.
        let leased = format!(
            "SELECT MIN(lease_until) FROM messages WHERE status = 'sending' AND {DIGEST_LIVE}"
        );
        let mut next: Option<DateTime<Utc>> = None;
        for sql in [queued, leased] {
            let at: Option<DateTime<Utc>> =
                both!(self, p => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(p).await)?;
            next = match (next, at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(next)
    }

    /// Counts of messages per status, for tests and metrics.
    pub async fn message_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT status, COUNT(*) FROM messages GROUP BY status ORDER BY status",
        )
        .fetch_all(p)
        .await)?)
    }
}
