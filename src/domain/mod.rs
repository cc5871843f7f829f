//! Types that parse outside input once, so the rest of the code can trust them.

pub mod cells;
mod email;
pub mod erasure;
mod fields;
mod language;
mod links;
mod name;
pub mod network;
mod news;
mod origin;
mod schedule;
mod slug;
mod status;
pub mod text;
pub mod token;
mod webhook;

pub use email::{EmailError, SubscriberEmail};
pub use fields::{
    refused, ConsentNote, IdempotencyKey, NewsletterFields, RawNewsletterFields, Refused, Subject,
};
pub use language::Language;
pub use links::SubscriberLinks;
pub use name::SubscriberName;
pub use news::{poll_interval, FeedUrl, NewsItem};
pub use origin::{parse_origins, Origin, SignupOrigins};
pub use schedule::{parse_zone, Schedule};
pub use slug::NewsletterSlug;
pub use status::{
    DigestStatus, MessageKind, MessageStatus, RunStatus, SubscriptionStatus, SuppressionReason,
    UnknownValue,
};
pub use webhook::{Event, EventType, WebhookUrl};

/// True when `s` holds a control character (CR, LF, NUL, DEL, …), which no
/// field of ours accepts: they are how header and log injection start.
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}
