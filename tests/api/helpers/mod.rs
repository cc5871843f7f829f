//! Shared test helpers: the app under test (`app`), the SMTP capture
//! server's mail (`mail`), admin API requests (`admin`), digests
//! (`digests`) and SMTP relays (`relay`). Everything is re-exported here,
//! so tests import from `crate::helpers`.

mod admin;
mod app;
mod digests;
mod mail;
mod relay;

pub use admin::*;
pub use app::*;
pub use digests::*;
pub use mail::*;
pub use relay::*;

use rand::RngExt;

pub fn random_hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap())
        .collect()
}

/// A fresh address nobody else in the suite uses.
pub fn unique_email() -> String {
    format!("reader-{}@example.com", random_hex(16))
}

pub fn smtp_url() -> String {
    std::env::var("TEST_SMTP_URL").unwrap_or_else(|_| "smtp://127.0.0.1:1025".to_string())
}

pub fn maildev_url() -> String {
    std::env::var("TEST_MAILDEV_URL").unwrap_or_else(|_| "http://127.0.0.1:1080".to_string())
}

/// A loopback port with nothing listening on it: connections are refused.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
