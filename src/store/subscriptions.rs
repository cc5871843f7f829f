//! Subscribers, their per-newsletter subscriptions, confirmation tokens and
//! the consent log.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::queue::NewMessage;
use super::suppressions::lift_suppression;
use super::webhook_events::subscriber_event;
use super::{both, BeginWrite, Error, Result, Store};
use crate::domain::{EventType, SubscriptionStatus};

/// Where a consent event came from (GDPR art. 7 evidence).
#[derive(Debug, Clone, Default)]
pub struct ConsentContext {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The form or API that carried the request.
    pub form: Option<String>,
    /// An admin's note on consent obtained elsewhere.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignupOutcome {
    /// Whether a confirmation email was queued (false within the cooldown or
    /// when everything asked for is already confirmed).
    pub email_queued: bool,
    /// Whether the address is pending for at least one of the newsletters
    /// asked for (false when all of them were confirmed already).
    pub pending: bool,
}

/// A confirmation token's subscriber, address, expiry and use.
type TokenRow = (i64, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// What a confirmation token leads to.
#[derive(Debug)]
pub enum TokenState {
    Unknown,
    Expired,
    /// Already used to confirm: it confirms nothing more.
    Used,
    Valid {
        email: String,
        /// Newsletters (id, slug, name) still pending for that address.
        pending: Vec<(i64, String, String)>,
    },
}

#[derive(Debug)]
pub enum ConfirmOutcome {
    Unknown,
    Expired,
    /// The link was used before; nothing changed.
    Used,
    /// The address's confirmed subscriptions after the change:
    /// (subscription id, newsletter name).
    Confirmed(Vec<(i64, String)>),
}

/// One subscription as the unsubscribe page needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionInfo {
    pub id: i64,
    pub email: String,
    pub status: SubscriptionStatus,
    pub newsletter_slug: String,
    pub newsletter_name: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SubscriberRow {
    #[serde(skip)]
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub status: SubscriptionStatus,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub unsubscribed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriberPage {
    pub subscribers: Vec<SubscriberRow>,
    /// The cursor for the next page (`after=`), or null on the last one.
    pub next: Option<String>,
}

/// Appends to the consent log inside a transaction.
macro_rules! log_consent {
    ($tx:expr, $subscriber:expr, $newsletter:expr, $action:expr, $at:expr, $ctx:expr) => {
        sqlx::query(
            "INSERT INTO consent_log \
             (subscriber_id, newsletter_id, action, at, ip, user_agent, form, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($subscriber)
        .bind($newsletter)
        .bind($action)
        .bind($at)
        .bind($ctx.ip.as_deref())
        .bind($ctx.user_agent.as_deref())
        .bind($ctx.form.as_deref())
        .bind($ctx.note.as_deref())
        .execute(&mut *$tx)
        .await
    };
}
pub(crate) use log_consent;

impl Store {
    /// Looks a confirmation token up without changing anything.
    pub async fn confirm_token_state(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenState> {
        both!(self, p => {
            let row: Option<TokenRow> = sqlx::query_as(
                "SELECT t.subscriber_id, s.email, t.expires_at, t.used_at FROM tokens t \
                 JOIN subscribers s ON s.id = t.subscriber_id \
                 WHERE t.token_hash = $1 AND t.purpose = 'confirm'",
            )
            .bind(token_hash)
            .fetch_optional(p)
            .await?;
            let Some((subscriber_id, email, expires_at, used_at)) = row else {
                return Ok(TokenState::Unknown);
            };
            if used_at.is_some() {
                return Ok(TokenState::Used);
            }
            if expires_at <= now {
                return Ok(TokenState::Expired);
            }
            let pending = sqlx::query_as(
                "SELECT n.id, n.slug, n.name FROM subscriptions s \
                 JOIN newsletters n ON n.id = s.newsletter_id \
                 WHERE s.subscriber_id = $1 AND s.status = 'pending' AND n.archived_at IS NULL \
                 ORDER BY n.id",
            )
            .bind(subscriber_id)
            .fetch_all(p)
            .await?;
            Ok(TokenState::Valid { email, pending })
        })
    }

    /// Confirms the address's pending subscriptions (only the newsletters in
    /// `only`, when given), queueing `welcomes[newsletter id]` for each one
    /// this call confirms. Confirming twice changes nothing more (the token is
    /// then used),
    /// and sends no second welcome.
    pub async fn confirm(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        only: Option<&[String]>,
        consent: &ConsentContext,
        welcomes: &[(i64, NewMessage)],
    ) -> Result<ConfirmOutcome> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<(i64, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT subscriber_id, expires_at, used_at FROM tokens \
                 WHERE token_hash = $1 AND purpose = 'confirm'",
            )
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((subscriber_id, expires_at, used_at)) = row else {
                return Ok(ConfirmOutcome::Unknown);
            };
            if used_at.is_some() {
                return Ok(ConfirmOutcome::Used);
            }
            if expires_at <= now {
                return Ok(ConfirmOutcome::Expired);
            }
            let pending: Vec<(i64, i64, String)> = sqlx::query_as(
                "SELECT s.id, s.newsletter_id, n.slug FROM subscriptions s \
                 JOIN newsletters n ON n.id = s.newsletter_id \
                 WHERE s.subscriber_id = $1 AND s.status = 'pending' AND n.archived_at IS NULL",
            )
            .bind(subscriber_id)
            .fetch_all(&mut *tx)
            .await?;
            let mut used = false;
            for (subscription_id, newsletter_id, slug) in pending {
                if only.is_some_and(|o| !o.contains(&slug)) {
                    continue;
                }
                let changed = sqlx::query(
                    "UPDATE subscriptions SET status = 'confirmed', confirmed_at = $1, \
                     updated_at = $1 WHERE id = $2 AND status = 'pending'",
                )
                .bind(now)
                .bind(subscription_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 1 {
                    used = true;
                    log_consent!(tx, subscriber_id, newsletter_id, "confirmed", now, consent)?;
                    subscriber_event!(tx, subscriber_id, newsletter_id, EventType::Confirmed, now)?;
                    if let Some((_, welcome)) = welcomes.iter().find(|(n, _)| *n == newsletter_id) {
                        let welcome = NewMessage { subscription_id: Some(subscription_id), ..welcome.clone() };
                        welcome.insert(&mut *tx, Some(subscriber_id), now).await?;
                    }
                }
            }
            if used {
                // Confirming is fresh consent from a working mailbox: it
                // lifts a suppression.
                lift_suppression!(tx, subscriber_id, now)?;
            }
            // The address's links are used up once nothing is left for them
            // to confirm (a reader who unticked a newsletter may still come
            // back for it): this one, and older ones from earlier emails. A
            // later signup then gets a fresh email at once: the resend
            // cooldown was for those links.
            let left: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM subscriptions s JOIN newsletters n ON n.id = s.newsletter_id \
                 WHERE s.subscriber_id = $1 AND s.status = 'pending' AND n.archived_at IS NULL",
            )
            .bind(subscriber_id)
            .fetch_one(&mut *tx)
            .await?;
            if left == 0 {
                sqlx::query(
                    "UPDATE tokens SET used_at = $1 \
                     WHERE subscriber_id = $2 AND purpose = 'confirm' AND used_at IS NULL",
                )
                .bind(now)
                .bind(subscriber_id)
                .execute(&mut *tx)
                .await?;
                if used {
                    sqlx::query("UPDATE subscribers SET confirm_sent_at = NULL WHERE id = $1")
                        .bind(subscriber_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let confirmed = sqlx::query_as(
                "SELECT s.id, n.name FROM subscriptions s JOIN newsletters n ON n.id = s.newsletter_id \
                 WHERE s.subscriber_id = $1 AND s.status = 'confirmed' ORDER BY n.id",
            )
            .bind(subscriber_id)
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(ConfirmOutcome::Confirmed(confirmed))
        })
    }

    pub async fn subscription_info(&self, subscription_id: i64) -> Result<SubscriptionInfo> {
        both!(self, p => sqlx::query_as(
            "SELECT s.id, sub.email, s.status, n.slug AS newsletter_slug, n.name AS newsletter_name \
             FROM subscriptions s JOIN subscribers sub ON sub.id = s.subscriber_id \
             JOIN newsletters n ON n.id = s.newsletter_id WHERE s.id = $1",
        )
        .bind(subscription_id)
        .fetch_optional(p)
        .await)?
        .ok_or(Error::NotFound)
    }

    /// Unsubscribes; repeating it is harmless. `NotFound` if the subscription
    /// is gone (e.g. the address was erased).
    pub async fn unsubscribe(
        &self,
        subscription_id: i64,
        now: DateTime<Utc>,
        consent: &ConsentContext,
    ) -> Result<(SubscriptionInfo, bool)> {
        let ended = both!(self, p => {
            let mut tx = p.begin_write().await?;
            let changed: Option<(i64, i64)> = sqlx::query_as(
                "UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = $1, updated_at = $1 \
                 WHERE id = $2 AND status <> 'unsubscribed' RETURNING subscriber_id, newsletter_id",
            )
            .bind(now)
            .bind(subscription_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((subscriber_id, newsletter_id)) = changed {
                log_consent!(tx, subscriber_id, newsletter_id, "unsubscribed", now, consent)?;
                subscriber_event!(tx, subscriber_id, newsletter_id, EventType::Unsubscribed, now)?;
            }
            tx.commit().await?;
            Ok::<_, Error>(changed.is_some())
        })?;
        Ok((self.subscription_info(subscription_id).await?, ended))
    }

    /// A page of a newsletter's subscribers ordered by subscription id; the
    /// cursor is the last id seen, so rows added meanwhile are neither lost
    /// nor repeated.
    pub async fn list_subscribers(
        &self,
        newsletter_id: i64,
        status: Option<SubscriptionStatus>,
        limit: u32,
        after: i64,
    ) -> Result<SubscriberPage> {
        self.search_subscribers(newsletter_id, status, None, limit, after)
            .await
    }
}
