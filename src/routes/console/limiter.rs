//! The gate in front of the password check: argon2 takes ~19 MiB and a
//! core for a moment, so only about one check per core runs at once, and a
//! client has at most one in flight. (How often an address may be tried is
//! counted in the database: see `admins::sign_in`.)

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Lets a bounded number of password checks run at once, one per client.
pub struct PasswordGate {
    permits: Arc<Semaphore>,
    in_flight: Arc<Mutex<HashSet<String>>>,
}

impl Default for PasswordGate {
    fn default() -> Self {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

/// A password check's place; dropping it frees the place and the client.
pub struct Pass {
    _permit: OwnedSemaphorePermit,
    client: String,
    in_flight: Arc<Mutex<HashSet<String>>>,
}

impl Drop for Pass {
    fn drop(&mut self) {
        self.in_flight
            .lock()
            .expect("not poisoned")
            .remove(&self.client);
    }
}

impl PasswordGate {
    pub fn new(at_once: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(at_once.max(1))),
            in_flight: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// A place for `client`'s check, or `None` when this client already
    /// has one running or every place is taken (the caller answers 429).
    pub fn enter(&self, client: Option<&str>) -> Option<Pass> {
        let client = client.unwrap_or("?").to_string();
        let mut in_flight = self.in_flight.lock().expect("not poisoned");
        if in_flight.contains(&client) {
            return None;
        }
        let permit = self.permits.clone().try_acquire_owned().ok()?;
        in_flight.insert(client.clone());
        Some(Pass {
            _permit: permit,
            client,
            in_flight: self.in_flight.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_bounds_checks_and_holds_one_per_client() {
        let gate = PasswordGate::new(2);
        let a = gate.enter(Some("10.0.0.1")).unwrap();
        assert!(gate.enter(Some("10.0.0.1")).is_none(), "one per client");
        let b = gate.enter(Some("10.0.0.2")).unwrap();
        assert!(gate.enter(Some("10.0.0.3")).is_none(), "two at once");
        drop(a);
        assert!(gate.enter(Some("10.0.0.1")).is_some());
        drop(b);
    }
}
