//! Types that parse outside input once, so the rest of the code can trust them.

mod email;
mod name;
mod slug;
pub mod text;
pub mod token;

pub use email::{EmailError, SubscriberEmail};
pub use name::SubscriberName;
pub use slug::NewsletterSlug;

/// True when `s` holds a control character (CR, LF, NUL, DEL, …), which no
/// field of ours accepts: they are how header and log injection start.
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}
