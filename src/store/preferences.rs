//! The SQL of a reader's preference page: what one subscriber has, setting
//! exactly the newsletters they tick, and mailing them the page's link.

use chrono::{DateTime, Utc};

use super::queue::NewMessage;
use super::subscriptions::log_consent;
use super::webhook_events::subscriber_event;
use super::{both, BeginWrite, ConsentContext, Error, Result, Store};
use crate::domain::{EventType, SubscriptionStatus};

/// One subscriber as their preference page shows them.
#[derive(Debug, Clone)]
pub struct Preferences {
    pub subscriber_id: i64,
    pub email: String,
    pub name: Option<String>,
    /// Their subscriptions: (newsletter id, status).
    pub subscriptions: Vec<(i64, SubscriptionStatus)>,
}

/// A preference page's answer, to write.
pub struct PreferenceWrite<'a> {
    pub subscriber_id: i64,
    /// The name to keep (`None` clears it).
    pub name: Option<&'a str>,
    /// The newsletters ticked: subscribed (confirmed) afterwards.
    pub wanted: &'a [i64],
    /// The newsletters the page offered: those not ticked are left.
    pub offered: &'a [i64],
    pub consent: &'a ConsentContext,
    /// Welcome emails by newsletter id, for those newly confirmed.
    pub welcomes: &'a [(i64, NewMessage)],
    pub now: DateTime<Utc>,
}

impl Store {
    /// `NotFound` when the subscriber is gone (erased).
    pub async fn preferences(&self, subscriber_id: i64) -> Result<Preferences> {
        both!(self, p => {
            let (email, name): (String, Option<String>) =
                sqlx::query_as("SELECT email, name FROM subscribers WHERE id = $1")
                    .bind(subscriber_id)
                    .fetch_optional(p)
                    .await?
                    .ok_or(Error::NotFound)?;
            let subscriptions = sqlx::query_as(
                "SELECT newsletter_id, status FROM subscriptions WHERE subscriber_id = $1",
            )
            .bind(subscriber_id)
            .fetch_all(p)
            .await?;
            Ok(Preferences { subscriber_id, email, name, subscriptions })
        })
    }

    /// Sets exactly the wanted newsletters among those offered, in one
    /// transaction, each change in the consent log; answers the changes.
    pub async fn set_preferences(
        &self,
        w: &PreferenceWrite<'_>,
    ) -> Result<Vec<(i64, SubscriptionStatus)>> {
        let now = w.now;
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let found = sqlx::query("UPDATE subscribers SET name = $1 WHERE id = $2")
                .bind(w.name)
                .bind(w.subscriber_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if found == 0 {
                return Err(Error::NotFound);
            }
            let current: Vec<(i64, SubscriptionStatus)> = sqlx::query_as(
                "SELECT newsletter_id, status FROM subscriptions WHERE subscriber_id = $1",
            )
            .bind(w.subscriber_id)
            .fetch_all(&mut *tx)
            .await?;
            let status_of = |n: i64| current.iter().find(|(id, _)| *id == n).map(|(_, s)| *s);
            // A suppressed address is not mailed again from a tick: only a
            // fresh confirmation (or an admin) lifts a suppression.
            let suppressed: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM suppressions x JOIN subscribers s ON s.email = x.email \
                 WHERE s.id = $1)",
            )
            .bind(w.subscriber_id)
            .fetch_one(&mut *tx)
            .await?;
            let mut changes = Vec::new();
            for &n in w.offered {
                let now_status = status_of(n);
                if w.wanted.contains(&n) {
                    if suppressed || now_status == Some(SubscriptionStatus::Confirmed) {
                        continue;
                    }
                    // Only a row this statement confirms comes back: two
                    // posts at once (PostgreSQL) welcome once.
                    let confirmed: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO subscriptions (subscriber_id, newsletter_id, status, created_at, updated_at, confirmed_at) \
                         VALUES ($1, $2, 'confirmed', $3, $3, $3) \
                         ON CONFLICT (subscriber_id, newsletter_id) DO UPDATE SET status = 'confirmed', \
                           updated_at = $3, confirmed_at = $3 WHERE subscriptions.status <> 'confirmed' RETURNING id",
                    )
                    .bind(w.subscriber_id)
                    .bind(n)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(subscription_id) = confirmed else {
                        continue;
                    };
                    log_consent!(tx, w.subscriber_id, n, "confirmed", now, w.consent)?;
                    subscriber_event!(tx, w.subscriber_id, n, EventType::Confirmed, now)?;
                    if let Some((_, m)) = w.welcomes.iter().find(|(id, _)| *id == n) {
                        let m = NewMessage { subscription_id: Some(subscription_id), ..m.clone() };
                        m.insert(&mut *tx, Some(w.subscriber_id), now).await?;
                    }
                    changes.push((n, SubscriptionStatus::Confirmed));
                } else if matches!(now_status, Some(SubscriptionStatus::Confirmed | SubscriptionStatus::Pending)) {
                    let changed = sqlx::query(
                        "UPDATE subscriptions SET status = 'unsubscribed', updated_at = $1, unsubscribed_at = $1 \
                         WHERE subscriber_id = $2 AND newsletter_id = $3 AND status <> 'unsubscribed'",
                    )
                    .bind(now)
                    .bind(w.subscriber_id)
                    .bind(n)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if changed == 0 {
                        continue;
                    }
                    log_consent!(tx, w.subscriber_id, n, "unsubscribed", now, w.consent)?;
                    subscriber_event!(tx, w.subscriber_id, n, EventType::Unsubscribed, now)?;
                    changes.push((n, SubscriptionStatus::Unsubscribed));
                }
            }
            tx.commit().await?;
            Ok(changes)
        })
    }

    /// The subscriber with this address, if any.
    pub async fn subscriber_id(&self, email: &str) -> Result<Option<i64>> {
        Ok(
            both!(self, p => sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1")
            .bind(email)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// Queues the email with a subscriber's preference link unless one went
    /// out within `cooldown`; answers whether it was queued.
    pub async fn queue_manage_link(
        &self,
        subscriber_id: i64,
        message: &NewMessage,
        cooldown: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            let marked = sqlx::query(
                "UPDATE subscribers SET manage_sent_at = $1 WHERE id = $2 \
                 AND (manage_sent_at IS NULL OR manage_sent_at <= $3)",
            )
            .bind(now)
            .bind(subscriber_id)
            .bind(now - cooldown)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if marked == 1 {
                message.insert(&mut *tx, Some(subscriber_id), now).await?;
            }
            tx.commit().await?;
            Ok(marked == 1)
        })
    }
}
