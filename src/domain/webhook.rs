//! Outgoing webhooks: the event types an endpoint can ask for, an event as
//! it is sent (`{"type","timestamp","data"}`, with its Standard Webhooks
//! id), and an endpoint's URL, checked for form where it comes in (whether
//! its host may be reached is decided again at every delivery).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::fields::{refused, Refused};

/// What happened, as the `type` of an event.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum EventType {
    /// A subscription was confirmed (double opt-in, the preferences page, or an admin).
    #[serde(rename = "subscriber.confirmed")]
    Confirmed,
    /// A subscription ended (link, one-click, the preferences page, or an admin).
    #[serde(rename = "subscriber.unsubscribed")]
    Unsubscribed,
    /// The address bounced and is suppressed.
    #[serde(rename = "subscriber.bounced")]
    Bounced,
    /// The reader reported a message as spam; the address is suppressed.
    #[serde(rename = "subscriber.complained")]
    Complained,
    /// Everything held on the address was erased.
    #[serde(rename = "subscriber.erased")]
    Erased,
    /// A digest's last delivery ended.
    #[serde(rename = "digest.sent")]
    DigestSent,
}

impl EventType {
    pub const ALL: &'static [EventType] = &[
        EventType::Confirmed,
        EventType::Unsubscribed,
        EventType::Bounced,
        EventType::Complained,
        EventType::Erased,
        EventType::DigestSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Confirmed => "subscriber.confirmed",
            EventType::Unsubscribed => "subscriber.unsubscribed",
            EventType::Bounced => "subscriber.bounced",
            EventType::Complained => "subscriber.complained",
            EventType::Erased => "subscriber.erased",
            EventType::DigestSent => "digest.sent",
        }
    }

    pub fn parse(s: &str) -> Result<Self, Refused> {
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|t| t.as_str()).collect();
                refused(
                    "invalid_event",
                    format!("unknown event type; events are {}", names.join(", ")),
                )
            })
    }

    /// A non-empty set of known types, without repeats, in a fixed order.
    pub fn parse_set(raw: &[String]) -> Result<Vec<EventType>, Refused> {
        let mut set = raw
            .iter()
            .map(|s| EventType::parse(s.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        set.sort();
        set.dedup();
        if set.is_empty() {
            return Err(refused("invalid_events", "name at least one event type"));
        }
        Ok(set)
    }
}

/// One event, ready to queue: the body every endpoint gets is the same.
#[derive(Debug, Clone)]
pub struct Event {
    /// `msg_…`: the `webhook-id` header, unique per event.
    pub id: String,
    pub kind: EventType,
    /// `{"type","timestamp","data"}` as JSON text.
    pub payload: String,
}

impl Event {
    pub fn new(kind: EventType, data: serde_json::Value, now: DateTime<Utc>) -> Event {
        let payload = serde_json::json!({
            "type": kind.as_str(),
            "timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true),
            "data": data,
        });
        Event {
            id: format!("msg_{}", &super::token::generate()[..32]),
            kind,
            payload: payload.to_string(),
        }
    }
}

/// An endpoint's address: an absolute http or https URL with a host, at
/// most 2000 characters, without a fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    pub fn parse(raw: &str) -> Result<Self, Refused> {
        let invalid = || {
            refused(
                "invalid_url",
                "the webhook URL must be an absolute http or https URL of at most 2000 characters",
            )
        };
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 2000 || super::has_control(raw) {
            return Err(invalid());
        }
        let mut url = url::Url::parse(raw).map_err(|_| invalid())?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(invalid());
        }
        url.set_fragment(None);
        Ok(WebhookUrl(url))
    }

    pub fn url(&self) -> &url::Url {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_sets_parse_and_refuse() {
        let set = EventType::parse_set(&[
            "digest.sent".into(),
            "subscriber.confirmed".into(),
            "digest.sent".into(),
        ])
        .unwrap();
        assert_eq!(set, vec![EventType::Confirmed, EventType::DigestSent]);
        assert_eq!(
            EventType::parse_set(&[]).unwrap_err().code,
            "invalid_events"
        );
        assert_eq!(
            EventType::parse_set(&["subscriber.created".into()])
                .unwrap_err()
                .code,
            "invalid_event"
        );
        for t in EventType::ALL {
            let json = serde_json::to_string(t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
        }
    }

    #[test]
    fn urls_are_http_with_a_host() {
        assert!(WebhookUrl::parse("https://crm.example.com/hooks?x=1").is_ok());
        for bad in [
            "",
            "ftp://example.com/",
            "/relative",
            "http://",
            "https://example.com/\nx",
            "javascript:alert(1)",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(2000));
        assert!(WebhookUrl::parse(&long).is_err());
    }

    #[test]
    fn events_carry_type_timestamp_and_data() {
        let now = "2026-12-05T08:00:00Z".parse().unwrap();
        let e = Event::new(
            EventType::Erased,
            serde_json::json!({"email": "a@example.com"}),
            now,
        );
        assert!(e.id.starts_with("msg_") && e.id.len() == 36);
        let v: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
        assert_eq!(v["type"], "subscriber.erased");
        assert_eq!(v["timestamp"], "2026-12-05T08:00:00.000Z");
        assert_eq!(v["data"]["email"], "a@example.com");
    }
}
