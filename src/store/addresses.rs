//! What admins do to one address: confirm or unsubscribe it by hand, see
//! everything held on it, erase it; and the purge of stale pending signups.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::subscriptions::log_consent;
use super::webhook_events::{emit_event, subscriber_event};
use super::ConsentContext;
use super::{both, BeginWrite, Error, Result, Store};
use crate::domain::erasure::ErasureKey;
use crate::domain::{Event, EventType, MessageKind, MessageStatus, SubscriptionStatus};

/// Everything held on one address (GDPR art. 15).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AddressData {
    pub email: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub subscriptions: Vec<SubscriptionData>,
    pub consent: Vec<ConsentData>,
    pub deliveries: Vec<DeliveryData>,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SubscriptionData {
    pub newsletter: String,
    pub status: SubscriptionStatus,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ConsentData {
    pub newsletter: String,
    pub action: String,
    pub at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub form: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DeliveryData {
    pub kind: MessageKind,
    pub status: MessageStatus,
    pub subject: String,
    pub message_id: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl Store {
    /// Records an admin's change of one subscription: `confirmed` (creating
    /// the subscriber and subscription if needed, with the consent note) or
    /// `unsubscribed` (`NotFound` if there is no such subscription).
    pub async fn set_status(
        &self,
        newsletter_id: i64,
        email: &str,
        name: Option<&str>,
        status: SubscriptionStatus,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let ctx = ConsentContext {
            form: Some("admin".to_string()),
            note: note.map(str::to_string),
            ..Default::default()
        };
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let subscriber_id: i64 = if status == SubscriptionStatus::Confirmed {
                sqlx::query_scalar(
                    "INSERT INTO subscribers (email, name, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (email) DO UPDATE SET name = COALESCE(excluded.name, subscribers.name) \
                     RETURNING id",
                )
                .bind(email)
                .bind(name)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?
            } else {
                sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1")
                    .bind(email)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(Error::NotFound)?
            };
            let changed = if status == SubscriptionStatus::Confirmed {
                sqlx::query(
                    "INSERT INTO subscriptions (subscriber_id, newsletter_id, status, created_at, updated_at, confirmed_at) \
                     VALUES ($1, $2, 'confirmed', $3, $3, $3) \
                     ON CONFLICT (subscriber_id, newsletter_id) DO UPDATE SET status = 'confirmed', \
                       updated_at = $3, confirmed_at = $3 WHERE subscriptions.status <> 'confirmed'",
                )
                .bind(subscriber_id)
                .bind(newsletter_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
            } else {
                let exists: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM subscriptions WHERE subscriber_id = $1 AND newsletter_id = $2",
                )
                .bind(subscriber_id)
                .bind(newsletter_id)
                .fetch_optional(&mut *tx)
                .await?;
                let id = exists.ok_or(Error::NotFound)?;
                sqlx::query(
                    "UPDATE subscriptions SET status = 'unsubscribed', updated_at = $1, unsubscribed_at = $1 \
                     WHERE id = $2 AND status <> 'unsubscribed'",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
            };
            if changed > 0 {
                log_consent!(tx, subscriber_id, newsletter_id, status.as_str(), now, ctx)?;
                let kind = if status == SubscriptionStatus::Confirmed {
                    EventType::Confirmed
                } else {
                    EventType::Unsubscribed
                };
                subscriber_event!(tx, subscriber_id, newsletter_id, kind, now)?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// One subscriber row as the admin list shows it.
    pub async fn subscriber_in(
        &self,
        newsletter_id: i64,
        email: &str,
    ) -> Result<super::SubscriberRow> {
        both!(self, p => sqlx::query_as(
            "SELECT s.id, sub.email, sub.name, s.status, s.created_at, s.confirmed_at, s.unsubscribed_at \
             FROM subscriptions s JOIN subscribers sub ON sub.id = s.subscriber_id \
             WHERE s.newsletter_id = $1 AND sub.email = $2",
        )
        .bind(newsletter_id)
        .bind(email)
        .fetch_optional(p)
        .await)?
        .ok_or(Error::NotFound)
    }

    /// Everything held on `email`; `NotFound` if nothing is.
    pub async fn address_data(&self, email: &str) -> Result<AddressData> {
        both!(self, p => {
            let row: Option<(i64, Option<String>, DateTime<Utc>)> = sqlx::query_as(
                "SELECT id, name, created_at FROM subscribers WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(p)
            .await?;
            let (id, name, created_at) = row.ok_or(Error::NotFound)?;
            let subscriptions = sqlx::query_as(
                "SELECT n.slug AS newsletter, s.status, s.created_at, s.confirmed_at, s.unsubscribed_at \
                 FROM subscriptions s JOIN newsletters n ON n.id = s.newsletter_id \
                 WHERE s.subscriber_id = $1 ORDER BY s.id",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            let consent = sqlx::query_as(
                "SELECT n.slug AS newsletter, c.action, c.at, c.ip, c.user_agent, c.form, c.note \
                 FROM consent_log c JOIN newsletters n ON n.id = c.newsletter_id \
                 WHERE c.subscriber_id = $1 ORDER BY c.id",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            let deliveries = sqlx::query_as(
                "SELECT kind, status, subject, message_id, attempts, created_at, sent_at, last_error \
                 FROM messages WHERE subscriber_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            Ok(AddressData { email: email.to_string(), name, created_at, subscriptions, consent, deliveries })
        })
    }

    /// Removes every row that names `email` and remembers only its hash, so
    /// an import cannot add it back. `NotFound` if nothing was held.
    pub async fn erase(&self, email: &str, key: &ErasureKey, now: DateTime<Utc>) -> Result<()> {
        let hash = key.hash(email);
        // Delivered webhook events whose payload names the address (their
        // attempts go with them). Those still waiting are sent first, so
        // the other systems hear of the confirmation or unsubscription
        // before the erasure; they are purged once delivered.
        let named = serde_json::to_string(email).map_err(|e| sqlx::Error::Encode(e.into()))?;
        let forget_webhooks = match self {
            Store::Sqlite(_) => {
                "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND instr(payload, $1) > 0"
            }
            Store::Postgres(_) => {
                "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND strpos(payload, $1) > 0"
            }
        };
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let gone = sqlx::query("DELETE FROM subscribers WHERE email = $1")
                .bind(email)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            // Mail that was never tied to a subscriber row (none today, but
            // the queue allows it) goes too.
            sqlx::query("DELETE FROM messages WHERE recipient = $1")
                .bind(email)
                .execute(&mut *tx)
                .await?;
            // A suppression keeps its hash, so the address stays known as
            // one that bounced; its address and evidence go.
            let suppressed = sqlx::query(
                "UPDATE suppressions SET email = NULL, evidence = NULL WHERE email = $1",
            )
            .bind(email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM soft_bounces WHERE email = $1")
                .bind(email)
                .execute(&mut *tx)
                .await?;
            sqlx::query(forget_webhooks)
                .bind(&named)
                .execute(&mut *tx)
                .await?;
            if gone == 0 && suppressed == 0 {
                return Err(Error::NotFound);
            }
            let event = Event::new(EventType::Erased, serde_json::json!({ "email": email }), now);
            emit_event!(tx, &event, now)?;
            sqlx::query(
                "INSERT INTO erased (email_hash, erased_at) VALUES ($1, $2) ON CONFLICT (email_hash) DO NOTHING",
            )
            .bind(&hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn is_erased(&self, email: &str, key: &ErasureKey) -> Result<bool> {
        let [keyed, plain] = key.forms(email);
        let found: Option<i32> = both!(self, p => sqlx::query_scalar(
            "SELECT 1 FROM erased WHERE email_hash IN ($1, $2)",
        )
        .bind(&keyed)
        .bind(&plain)
        .fetch_optional(p)
        .await)?;
        Ok(found.is_some())
    }

    /// Removes pending subscriptions untouched since `cutoff`, expired
    /// tokens, and subscribers left with nothing. Returns how many
    /// subscriptions went.
    pub async fn purge_pending(&self, cutoff: DateTime<Utc>, now: DateTime<Utc>) -> Result<u64> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("DELETE FROM subscriptions WHERE status = 'pending' AND updated_at < $1")
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM tokens WHERE expires_at < $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM subscribers WHERE created_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.subscriber_id = subscribers.id) \
                 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.subscriber_id = subscribers.id \
                                 AND m.status IN ('queued', 'sending'))",
            )
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(n)
        })
    }
}
