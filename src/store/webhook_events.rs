//! Webhook events are queued in the transaction of the change they report
//! (the outbox is the delivery table itself): one `pending` delivery per
//! endpoint that wants the event, or none and next to no cost when no
//! endpoint does. A change that commits has its events; one that rolls back
//! has none.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{both, BeginWrite, Result, Store};
use crate::domain::{Event, EventType, SuppressionReason};

/// Fans an event out to every endpoint that wants its type. A disabled
/// endpoint's events wait for it to be enabled again, like those queued
/// before it was disabled: nothing is lost while someone fixes it.
pub(crate) const FAN_OUT: &str = "INSERT INTO webhook_deliveries \
     (endpoint_id, event_id, event_type, payload, status, attempts, next_attempt_at, created_at) \
     SELECT endpoint_id, $1, $2, $3, 'pending', 0, $4, $4 FROM webhook_endpoint_events \
     WHERE event_type = $2";

/// A subscription's address, name and newsletter, only when some endpoint
/// wants the event type (`$3`): otherwise nothing is read.
pub(crate) const SUBSCRIBER_WANTED: &str = "SELECT s.email, s.name, n.slug \
     FROM subscribers s, newsletters n WHERE s.id = $1 AND n.id = $2 AND EXISTS \
     (SELECT 1 FROM webhook_endpoint_events w WHERE w.event_type = $3)";

/// Queues `$event` (a `&Event`) inside the transaction `$tx`.
macro_rules! emit_event {
    ($tx:expr, $event:expr, $now:expr) => {{
        let event: &$crate::domain::Event = $event;
        sqlx::query($crate::store::webhook_events::FAN_OUT)
            .bind(event.id.as_str())
            .bind(event.kind.as_str())
            .bind(event.payload.as_str())
            .bind($now)
            .execute(&mut *$tx)
            .await
            .map(|_| ())
    }};
}
pub(crate) use emit_event;

/// Queues a `subscriber.confirmed` or `subscriber.unsubscribed` event for
/// one subscription inside the transaction `$tx` that changed it.
macro_rules! subscriber_event {
    ($tx:expr, $subscriber:expr, $newsletter:expr, $kind:expr, $now:expr) => {{
        let kind: $crate::domain::EventType = $kind;
        match sqlx::query_as::<_, (String, Option<String>, String)>(
            $crate::store::webhook_events::SUBSCRIBER_WANTED,
        )
        .bind($subscriber)
        .bind($newsletter)
        .bind(kind.as_str())
        .fetch_optional(&mut *$tx)
        .await
        {
            Ok(Some((email, name, slug))) => {
                let event = $crate::store::webhook_events::subscription_event(
                    kind,
                    &email,
                    name.as_deref(),
                    &slug,
                    $now,
                );
                $crate::store::webhook_events::emit_event!($tx, &event, $now)
            }
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        }
    }};
}
pub(crate) use subscriber_event;

/// `subscriber.bounced` or `subscriber.complained`: an address newly
/// suppressed (queued in the suppression's transaction).
pub(crate) fn suppression_event(s: &super::NewSuppression<'_>, now: DateTime<Utc>) -> Event {
    let kind = if s.reason == SuppressionReason::Complained {
        EventType::Complained
    } else {
        EventType::Bounced
    };
    Event::new(
        kind,
        json!({ "email": s.email, "reason": s.reason.as_str(), "source": s.source }),
        now,
    )
}

/// The event of one subscription's change.
pub(crate) fn subscription_event(
    kind: EventType,
    email: &str,
    name: Option<&str>,
    newsletter: &str,
    now: DateTime<Utc>,
) -> Event {
    Event::new(
        kind,
        json!({ "email": email, "name": name, "newsletter": newsletter }),
        now,
    )
}

impl Store {
    /// Queues an event on its own (for changes made elsewhere, such as a
    /// suppression recorded by another module).
    pub async fn emit_event(&self, event: &Event, now: DateTime<Utc>) -> Result<()> {
        both!(self, p => {
            let mut tx = p.begin_write().await?;
            emit_event!(tx, event, now)?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// What a `digest.sent` event says: read back by the statement that marks
/// the digest sent ([`DIGEST_DONE`]).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DigestDone {
    id: i64,
    newsletter: String,
    subject: String,
    recipients: i32,
}

/// The `RETURNING` clause that reads a [`DigestDone`].
pub(crate) const DIGEST_DONE: &str = "RETURNING id, subject, recipients, \
     (SELECT n.slug FROM newsletters n WHERE n.id = digests.newsletter_id) AS newsletter";

impl DigestDone {
    pub(crate) fn event(&self, now: DateTime<Utc>) -> Event {
        Event::new(
            EventType::DigestSent,
            json!({
                "digest_id": self.id,
                "newsletter": self.newsletter,
                "subject": self.subject,
                "recipients": self.recipients,
            }),
            now,
        )
    }
}
