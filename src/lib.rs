//! Herald: a newsletter subscription and distribution server.

pub mod cli;
pub mod commands;
pub mod config;
pub mod delivery;
pub mod digest;
pub mod domain;
pub mod email;
pub mod feeds;
pub mod import;
pub mod metrics;
pub mod routes;
pub mod startup;
pub mod store;
pub mod telemetry;
