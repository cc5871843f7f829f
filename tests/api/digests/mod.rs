//! Digests end to end: items in, one email per confirmed subscriber out,
//! each with a working one-click unsubscribe.

mod access;
mod control;
mod sending;
