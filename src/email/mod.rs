//! Outgoing email: templates, message building and the transports.

mod mailer;
mod message;
mod templates;

pub use mailer::{Mailer, SendError};
pub use message::build_message;
pub use templates::Templates;
