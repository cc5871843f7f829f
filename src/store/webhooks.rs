//! Webhook endpoints (their URL, secret and wanted event types) and the
//! per-endpoint log of delivery attempts.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{both, writing, BeginWrite, Error, Result, Store};
use crate::domain::EventType;

/// An endpoint as the API and console show it (never its secret).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub url: String,
    #[sqlx(skip)]
    pub events: Vec<EventType>,
    pub created_at: DateTime<Utc>,
    /// Since when every attempt failed (null after a success).
    pub failing_since: Option<DateTime<Utc>>,
    /// Set when it failed for too long, or an admin paused it: nothing is
    /// sent until it is enabled again; its events wait.
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// Events waiting to be delivered to it.
    pub pending: i64,
}

/// One attempt to deliver an event, for the delivery log.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct WebhookAttempt {
    pub id: i64,
    /// The `webhook-id` sent: the same on every retry of one event.
    pub event_id: String,
    pub event_type: String,
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status, or null when no answer came.
    pub status_code: Option<i32>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The start of the answer's body.
    pub response: Option<String>,
    pub duration_ms: i64,
    /// Whether the event has been delivered (by this or a later attempt).
    pub delivered: bool,
}

const ENDPOINT: &str = "SELECT e.id, e.url, e.created_at, e.failing_since, e.disabled_at, \
     e.disabled_reason, (SELECT COUNT(*) FROM webhook_deliveries d \
       WHERE d.endpoint_id = e.id AND d.status <> 'delivered') AS pending \
     FROM webhook_endpoints e";

impl Store {
    /// Adds an endpoint; answers its id.
    pub async fn create_webhook(
        &self,
        url: &str,
        secret: &str,
        events: &[EventType],
        now: DateTime<Utc>,
    ) -> Result<i64> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO webhook_endpoints (url, secret, created_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(url)
            .bind(secret)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for e in events {
                sqlx::query("INSERT INTO webhook_endpoint_events (endpoint_id, event_type) VALUES ($1, $2)")
                    .bind(id)
                    .bind(e.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Every endpoint, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>> {
        let sql = format!("{ENDPOINT} ORDER BY e.id");
        let mut all: Vec<WebhookEndpoint> =
            both!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await)?;
        let events: Vec<(i64, String)> = both!(self, p => sqlx::query_as(
            "SELECT endpoint_id, event_type FROM webhook_endpoint_events ORDER BY endpoint_id, event_type",
        )
        .fetch_all(p)
        .await)?;
        for e in &mut all {
            e.events = wanted(&events, e.id);
        }
        Ok(all)
    }

    pub async fn webhook(&self, id: i64) -> Result<WebhookEndpoint> {
        let sql = format!("{ENDPOINT} WHERE e.id = $1");
        let found: Option<WebhookEndpoint> = both!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(p)
            .await)?;
        let mut endpoint = found.ok_or(Error::NotFound)?;
        let events: Vec<(i64, String)> = both!(self, p => sqlx::query_as(
            "SELECT endpoint_id, event_type FROM webhook_endpoint_events WHERE endpoint_id = $1",
        )
        .bind(id)
        .fetch_all(p)
        .await)?;
        endpoint.events = wanted(&events, id);
        Ok(endpoint)
    }

    /// Removes an endpoint, its queued events and its log.
    pub async fn delete_webhook(&self, id: i64) -> Result<()> {
        let gone = writing!(self, p => sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        if gone == 0 {
            return Err(Error::NotFound);
        }
        Ok(())
    }

    /// Changes the wanted events and/or enables (clearing the failure run,
    /// so waiting events go out at once) or pauses an endpoint.
    pub async fn update_webhook(
        &self,
        id: i64,
        events: Option<&[EventType]>,
        enabled: Option<bool>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM webhook_endpoints WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(Error::NotFound);
            }
            if let Some(events) = events {
                sqlx::query("DELETE FROM webhook_endpoint_events WHERE endpoint_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for e in events {
                    sqlx::query("INSERT INTO webhook_endpoint_events (endpoint_id, event_type) VALUES ($1, $2)")
                        .bind(id)
                        .bind(e.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            match enabled {
                Some(true) => {
                    sqlx::query(
                        "UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL, \
                         failing_since = NULL WHERE id = $1 AND disabled_at IS NOT NULL",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(
                        "UPDATE webhook_deliveries SET next_attempt_at = $1 \
                         WHERE endpoint_id = $2 AND status = 'pending' AND next_attempt_at > $1",
                    )
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                Some(false) => {
                    sqlx::query(
                        "UPDATE webhook_endpoints SET disabled_at = $1, disabled_reason = 'paused by an admin' \
                         WHERE id = $2 AND disabled_at IS NULL",
                    )
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {}
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// An endpoint's attempts, newest first: `limit` of them before the
    /// attempt id `before` (the cursor), if given.
    pub async fn webhook_attempts(
        &self,
        endpoint_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<WebhookAttempt>> {
        Ok(both!(self, p => sqlx::query_as(
            "SELECT a.id, d.event_id, d.event_type, a.attempted_at, a.status_code, a.error, \
             a.response, CAST(a.duration_ms AS BIGINT) AS duration_ms, \
             (d.status = 'delivered') AS delivered \
             FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
             WHERE a.endpoint_id = $1 AND ($2 IS NULL OR a.id < $2) ORDER BY a.id DESC LIMIT $3",
        )
        .bind(endpoint_id)
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(p)
        .await)?)
    }
}

/// The event types of endpoint `id` among `(endpoint, type)` rows; unknown
/// names (from a newer release) are skipped.
fn wanted(rows: &[(i64, String)], id: i64) -> Vec<EventType> {
    let mut events: Vec<EventType> = rows
        .iter()
        .filter(|(e, _)| *e == id)
        .filter_map(|(_, t)| EventType::parse(t).ok())
        .collect();
    events.sort();
    events
}
