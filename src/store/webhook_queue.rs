//! The webhook delivery queue: due deliveries are leased to one process at
//! a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on
//! SQLite), sent with no transaction open, and their outcome recorded with
//! the attempt, the endpoint's failure run, and its disabling once that run
//! is too long.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use super::{both, BeginWrite, Result, SqliteWriter, Store};

/// A delivery leased to this process, with what it takes to send it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedWebhook {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: String,
    pub payload: String,
    pub attempts: i32,
    pub url: String,
    pub secret: String,
}

/// What one attempt came to, for the log.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub response: Option<String>,
    pub duration_ms: i64,
}

/// Appends an attempt to the log inside a transaction.
macro_rules! log_attempt {
    ($tx:expr, $d:expr, $o:expr) => {
        sqlx::query(
            "INSERT INTO webhook_attempts \
             (delivery_id, endpoint_id, attempted_at, status_code, error, response, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($d.id)
        .bind($d.endpoint_id)
        .bind($o.at)
        .bind($o.status_code)
        .bind($o.error.as_deref())
        .bind($o.response.as_deref())
        .bind($o.duration_ms as i32)
        .execute(&mut *$tx)
        .await
    };
}

const RETURNING: &str = "RETURNING id, endpoint_id, event_id, payload, attempts, \
     (SELECT e.url FROM webhook_endpoints e WHERE e.id = webhook_deliveries.endpoint_id) AS url, \
     (SELECT e.secret FROM webhook_endpoints e WHERE e.id = webhook_deliveries.endpoint_id) AS secret";

/// Deliveries to a disabled endpoint wait.
const ENABLED: &str = "EXISTS (SELECT 1 FROM webhook_endpoints e \
     WHERE e.id = webhook_deliveries.endpoint_id AND e.disabled_at IS NULL)";

impl Store {
    /// Leases up to `limit` due deliveries to `worker`: first those whose
    /// lease ran out (a crashed process), then pending ones, oldest first.
    pub async fn claim_webhooks(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedWebhook>> {
        let expired = format!(
            "SELECT id FROM webhook_deliveries WHERE status = 'sending' AND lease_until < $3 \
             AND worker_id <> $2 AND {ENABLED} ORDER BY lease_until LIMIT $4"
        );
        let due = format!(
            "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $3 \
             AND {ENABLED} ORDER BY next_attempt_at, id LIMIT $4"
        );
        let mut claimed = Vec::new();
        for pick in [expired, due] {
            let want = limit as usize - claimed.len();
            if want == 0 {
                break;
            }
            let sql = |lock: &str| {
                format!(
                    "UPDATE webhook_deliveries SET status = 'sending', lease_until = $1, worker_id = $2, \
                     attempts = attempts + 1 WHERE id IN ({pick}{lock}) {RETURNING}"
                )
            };
            let mut rows: Vec<ClaimedWebhook> = match self {
                Store::Sqlite(p) => {
                    let mut writer = SqliteWriter::acquire(p).await?;
                    sqlx::query_as(AssertSqlSafe(sql("")))
                        .bind(lease_until)
                        .bind(worker)
                        .bind(now)
                        .bind(want as i64)
                        .fetch_all(&mut *writer)
                        .await?
                }
                Store::Postgres(p) => {
                    sqlx::query_as(AssertSqlSafe(sql(" FOR UPDATE SKIP LOCKED")))
                        .bind(lease_until)
                        .bind(worker)
                        .bind(now)
                        .bind(want as i64)
                        .fetch_all(p)
                        .await?
                }
            };
            claimed.append(&mut rows);
        }
        Ok(claimed)
    }

    /// Records a delivered event: the attempt, and the end of the
    /// endpoint's failure run. Nothing if the lease was lost meanwhile.
    pub async fn webhook_delivered(
        &self,
        d: &ClaimedWebhook,
        worker: &str,
        outcome: &AttemptOutcome,
    ) -> Result<()> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let mine = sqlx::query(
                "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $1, lease_until = NULL \
                 WHERE id = $2 AND worker_id = $3 AND status = 'sending'",
            )
            .bind(outcome.at)
            .bind(d.id)
            .bind(worker)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if mine == 1 {
                log_attempt!(tx, d, outcome)?;
                sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
                    .bind(d.endpoint_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Records a failed attempt and puts the event back for
    /// `next_attempt_at`; disables the endpoint when it has been failing
    /// since `disable_before` or earlier (saying `disable_reason`).
    /// Answers whether this disabled it.
    pub async fn webhook_failed(
        &self,
        d: &ClaimedWebhook,
        worker: &str,
        outcome: &AttemptOutcome,
        next_attempt_at: DateTime<Utc>,
        disable_before: DateTime<Utc>,
        disable_reason: &str,
    ) -> Result<bool> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let mine = sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, lease_until = NULL \
                 WHERE id = $2 AND worker_id = $3 AND status = 'sending'",
            )
            .bind(next_attempt_at)
            .bind(d.id)
            .bind(worker)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let mut disabled = 0;
            if mine == 1 {
                log_attempt!(tx, d, outcome)?;
                sqlx::query(
                    "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $1) WHERE id = $2",
                )
                .bind(outcome.at)
                .bind(d.endpoint_id)
                .execute(&mut *tx)
                .await?;
                disabled = sqlx::query(
                    "UPDATE webhook_endpoints SET disabled_at = $1, disabled_reason = $2 \
                     WHERE id = $3 AND disabled_at IS NULL AND failing_since <= $4",
                )
                .bind(outcome.at)
                .bind(disable_reason)
                .bind(d.endpoint_id)
                .bind(disable_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok(disabled == 1)
        })
    }

    /// When the next delivery falls due (or a lease runs out), if any.
    pub async fn next_webhook_due(&self) -> Result<Option<DateTime<Utc>>> {
        let sql = format!(
            "SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at ELSE lease_until END) \
             FROM webhook_deliveries WHERE status IN ('pending', 'sending') AND {ENABLED}"
        );
        Ok(both!(self, p => sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(p).await)?)
    }

    /// Removes delivered events (and their attempts) older than `before`:
    /// their payloads name readers.
    pub async fn purge_webhook_deliveries(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(super::writing!(self, p => sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < $1",
        )
        .bind(before)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }
}
