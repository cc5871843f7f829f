//! Herald: a newsletter subscription and distribution server.

pub mod cli;
pub mod config;
pub mod delivery;
pub mod domain;
pub mod email;
pub mod routes;
pub mod startup;
pub mod store;
pub mod telemetry;
