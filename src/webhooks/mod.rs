//! Signed outgoing webhooks: endpoints admins add (the secret shown once),
//! the per-endpoint delivery log, and the dispatcher that sends queued
//! events. Events themselves are queued by the store, in the transaction of
//! the change they report (see `store::webhook_events`).

mod dispatch;
pub mod payloads;
mod signature;

pub use dispatch::Dispatcher;
pub use signature::{new_secret, sign};

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::Validate;

use crate::app::{App, Error, Result};
use crate::domain::{EventType, WebhookUrl};
use crate::feeds::is_public;
use crate::store::{WebhookAttempt, WebhookEndpoint};

/// A new endpoint: where to POST, and which event types.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct WebhookBody {
    /// An http or https URL on a public address.
    pub url: String,
    /// Among `subscriber.confirmed`, `subscriber.unsubscribed`,
    /// `subscriber.bounced`, `subscriber.complained`, `subscriber.erased`,
    /// `digest.sent`; at least one.
    pub events: Vec<String>,
}

/// A change to an endpoint; absent fields stay as they are.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// The event types it gets from now on.
    pub events: Option<Vec<String>>,
    /// `true` enables a disabled endpoint (its waiting events go out at
    /// once); `false` pauses it.
    pub enabled: Option<bool>,
}

/// A new endpoint, with its secret: shown this once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<EventType>,
    pub created_at: DateTime<Utc>,
    /// `whsec_…`: verify each request's `webhook-signature` with it
    /// (Standard Webhooks). It is never shown again.
    pub secret: String,
}

/// Which page of the delivery log.
#[derive(Deserialize, Default, utoipa::IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct AttemptQuery {
    /// 1 to 1000 (default 100)
    #[param(minimum = 1, maximum = 1000)]
    #[validate(range(
        min = 1,
        max = 1000,
        code = "invalid_limit",
        message = "limit is 1 to 1000"
    ))]
    pub limit: Option<u32>,
    /// The `next` cursor of the previous page
    pub after: Option<String>,
}

/// A page of an endpoint's delivery attempts, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AttemptPage {
    pub attempts: Vec<WebhookAttempt>,
    /// The cursor for the next page (`after=`), or null on the last one.
    pub next: Option<String>,
}

/// Adds an endpoint; 422 for a bad URL or event list, or a URL on a
/// private address (unless `feeds_allow_private`).
pub async fn create(app: &App, b: &WebhookBody) -> Result<CreatedWebhook> {
    let url = WebhookUrl::parse(&b.url)?;
    let events = EventType::parse_set(&b.events)?;
    if !app.config.feeds_allow_private {
        refuse_private(&url).await?;
    }
    let secret = new_secret();
    let id = app
        .store
        .create_webhook(url.as_str(), &secret, &events, Utc::now())
        .await?;
    let endpoint = app.store.webhook(id).await?;
    Ok(CreatedWebhook {
        id,
        url: endpoint.url,
        events: endpoint.events,
        created_at: endpoint.created_at,
        secret,
    })
}

/// Refuses a URL whose host is, or only resolves to, a private, loopback or
/// link-local address. A name that doesn't resolve now is let through: the
/// guard checks again at every delivery.
async fn refuse_private(url: &WebhookUrl) -> Result<()> {
    let refused = || {
        Error::invalid(
            "private_url",
            "the webhook URL is or resolves to a private, loopback or link-local address",
        )
    };
    let ips: Vec<IpAddr> = match url.url().host() {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(url::Host::Domain(host)) => {
            let lookup = tokio::net::lookup_host((host, 0));
            match tokio::time::timeout(Duration::from_secs(5), lookup).await {
                Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
                _ => return Ok(()),
            }
        }
        None => return Err(refused()),
    };
    if !ips.is_empty() && ips.iter().all(|ip| !is_public(*ip)) {
        return Err(refused());
    }
    Ok(())
}

fn endpoint_id(raw: &str) -> Result<i64> {
    raw.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::not_found("no such webhook endpoint"))
}

fn not_found(e: crate::store::Error) -> Error {
    match e {
        crate::store::Error::NotFound => Error::not_found("no such webhook endpoint"),
        e => e.into(),
    }
}

pub async fn list(app: &App) -> Result<Vec<WebhookEndpoint>> {
    Ok(app.store.webhooks().await?)
}

pub async fn get(app: &App, raw_id: &str) -> Result<WebhookEndpoint> {
    app.store
        .webhook(endpoint_id(raw_id)?)
        .await
        .map_err(not_found)
}

pub async fn delete(app: &App, raw_id: &str) -> Result<()> {
    app.store
        .delete_webhook(endpoint_id(raw_id)?)
        .await
        .map_err(not_found)
}

/// Changes the events of an endpoint, or enables or pauses it.
pub async fn update(app: &App, raw_id: &str, p: &WebhookPatch) -> Result<WebhookEndpoint> {
    let id = endpoint_id(raw_id)?;
    let events = p.events.as_deref().map(EventType::parse_set).transpose()?;
    app.store
        .update_webhook(id, events.as_deref(), p.enabled, Utc::now())
        .await
        .map_err(not_found)?;
    app.store.webhook(id).await.map_err(not_found)
}

/// A page of an endpoint's delivery log.
pub async fn attempts(app: &App, raw_id: &str, q: &AttemptQuery) -> Result<AttemptPage> {
    q.validate()?;
    let id = endpoint_id(raw_id)?;
    app.store.webhook(id).await.map_err(not_found)?;
    let limit = q.limit.unwrap_or(100);
    let before = match q.after.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| Error::invalid("invalid_cursor", "unknown cursor"))?,
        ),
    };
    let attempts = app.store.webhook_attempts(id, before, limit).await?;
    let next = (attempts.len() == limit as usize)
        .then(|| attempts.last().map(|a| a.id.to_string()))
        .flatten();
    Ok(AttemptPage { attempts, next })
}
