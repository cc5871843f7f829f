//! Black-box tests: a real server over HTTP, a real database (SQLite, or
//! PostgreSQL with TEST_DATABASE_URL), mail through a real SMTP capture server.

mod admin;
mod admin_manage;
mod archive;
mod bounces;
mod console;
mod delivery;
mod digests;
mod dkim_metrics;
mod embed;
mod fake_smtp;
mod feeds;
mod helpers;
mod hygiene;
mod idempotency;
mod import;
mod input;
mod observability;
mod ops;
mod pages;
mod preferences;
mod schedules;
mod signup;
mod site;
mod smtp_outage;
mod smtp_tls;
mod unsubscribe;
mod webhooks;
