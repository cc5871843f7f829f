//! Outgoing email: templates, message building and the transports.

mod builtin;
mod confirmation;
mod dkim;
mod errors;
mod mailer;
mod message;
mod personal;
mod rate;
mod smtp;
mod templates;
mod welcome;

pub use confirmation::{confirmation_message, human_duration, new_message_id};
pub use dkim::{Dkim, SIGNED_HEADERS};
pub use errors::{retry_hint, SendError};
pub use mailer::Mailer;
pub use message::{build_message, BodyText, Outgoing, QpTemplate};
pub use personal::{
    personalise, public_html, PersonalLinks, MANAGE_SENTINEL, SENTINELS, UNSUBSCRIBE_SENTINEL,
};
pub use rate::SendRate;
pub use templates::{Look, Templates};
pub use welcome::{manage_link_message, markdown_html, welcome_message};
