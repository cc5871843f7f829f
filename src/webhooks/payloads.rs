//! The bodies Herald POSTs to webhook endpoints, as OpenAPI schemas (the
//! store writes them as JSON; these types only document them). Every body
//! is `{"type","timestamp","data"}`; the headers `webhook-id`,
//! `webhook-timestamp` and `webhook-signature` follow Standard Webhooks.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::EventType;

/// One event, as POSTed to an endpoint. `webhook-signature` is
/// `v1,` + base64(HMAC-SHA256(secret, "{webhook-id}.{webhook-timestamp}.{body}")),
/// the key being the base64-decoded part of the secret after `whsec_`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When the change happened (RFC 3339, UTC).
    pub timestamp: DateTime<Utc>,
    pub data: WebhookEventData,
}

/// `data`, by `type`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum WebhookEventData {
    Subscription(SubscriptionEventData),
    Suppression(SuppressionEventData),
    Erasure(ErasureEventData),
    Digest(DigestEventData),
}

/// `subscriber.confirmed` and `subscriber.unsubscribed`: one subscription.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionEventData {
    pub email: String,
    pub name: Option<String>,
    /// The newsletter's slug.
    pub newsletter: String,
}

/// `subscriber.bounced` and `subscriber.complained`: the address is
/// suppressed (for every newsletter).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SuppressionEventData {
    pub email: String,
    /// Why: `hard_bounce`, `soft_bounce` or `complained`.
    pub reason: String,
    /// Where it was learnt: `smtp` (the relay's reply while sending),
    /// `dsn`, `arf`, `ses` or `postmark`.
    pub source: String,
}

/// `subscriber.erased`: everything held on the address is gone; forget it
/// too.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErasureEventData {
    pub email: String,
}

/// `digest.sent`: a digest's last delivery ended (failures included).
#[derive(Serialize, utoipa::ToSchema)]
pub struct DigestEventData {
    pub digest_id: i64,
    /// The newsletter's slug.
    pub newsletter: String,
    pub subject: String,
    /// Confirmed subscribers it was addressed to.
    pub recipients: i32,
}
