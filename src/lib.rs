//! Herald: a newsletter subscription and distribution server.
//!
//! Three floors, and imports point down only:
//! adapters ([`routes`], [`cli`], [`commands`]) → use cases ([`signup`],
//! [`subscribers`], [`newsletters`], [`digest`], [`news`], [`admins`],
//! [`schedule`], [`preferences`], [`idempotency`], [`archive`], [`backup`],
//! [`webhooks`], over
//! the shared [`app::App`]) → the store, mail and domain types ([`store`],
//! [`email`], [`i18n`], [`delivery`], [`feeds`], [`domain`]).

pub mod admins;
pub mod app;
pub mod archive;
pub mod backup;
pub mod bounces;
pub mod cli;
pub mod commands;
pub mod config;
pub mod delivery;
pub mod digest;
pub mod domain;
pub mod email;
pub mod feeds;
pub mod i18n;
pub mod idempotency;
pub mod metrics;
pub mod news;
pub mod newsletters;
pub mod preferences;
pub mod routes;
pub mod schedule;
pub mod signup;
pub mod startup;
pub mod store;
pub mod subscribers;
pub mod suppressions;
pub mod telemetry;
pub mod webhooks;
