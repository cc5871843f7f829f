//! Outgoing email: templates, message building and the transports.

mod confirmation;
mod dkim;
mod mailer;
mod message;
mod smtp;
mod templates;

pub use confirmation::{confirmation_message, confirmation_render, human_duration, new_message_id};
pub use dkim::{Dkim, SIGNED_HEADERS};
pub use mailer::{Mailer, SendError};
pub use message::{build_message, BodyText, Outgoing, QpTemplate};
pub use templates::Templates;
