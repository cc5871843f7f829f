//! Sign-in attempts, counted per client address and per email address in
//! fixed windows kept in memory, each before its password is checked; past
//! the limit, sign-in is refused (429). And the gate in front of the
//! password check: argon2 takes ~19 MiB and a core for a moment, so only
//! about one check per core runs at once, and a client has at most one in
//! flight.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

pub struct SignInLimiter {
    per_email: u32,
    per_ip: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Default for SignInLimiter {
    /// 5 failures per address and 20 per client in 15 minutes.
    fn default() -> Self {
        Self::new(5, 20, Duration::from_secs(15 * 60))
    }
}

impl SignInLimiter {
    pub fn new(per_email: u32, per_ip: u32, window: Duration) -> Self {
        Self {
            per_email,
            per_ip,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(ip: Option<&str>, email: &str) -> [(String, bool); 2] {
        [
            (format!("ip:{}", ip.unwrap_or("?")), true),
            (format!("email:{}", email.trim().to_lowercase()), false),
        ]
    }

    /// `Some(seconds to wait)` when either key has used up its failures.
    pub fn blocked(&self, ip: Option<&str>, email: &str) -> Option<u64> {
        let now = Instant::now();
        let failures = self.failures.lock().expect("not poisoned");
        Self::keys(ip, email)
            .iter()
            .filter_map(|(key, is_ip)| {
                let (start, n) = failures.get(key)?;
                let limit = if *is_ip { self.per_ip } else { self.per_email };
                let elapsed = now.duration_since(*start);
                (elapsed < self.window && *n >= limit)
                    .then(|| (self.window - elapsed).as_secs().max(1))
            })
            .max()
    }

    /// Takes back the attempt of a sign-in that succeeded.
    pub fn succeeded(&self, ip: Option<&str>, email: &str) {
        let mut failures = self.failures.lock().expect("not poisoned");
        for (key, _) in Self::keys(ip, email) {
            if let Some(entry) = failures.get_mut(&key) {
                entry.1 = entry.1.saturating_sub(1);
            }
        }
    }

    /// Counts one attempt against both keys, before its password is
    /// checked; `Err(seconds to wait)`, counting nothing, when either key
    /// has used up its attempts. One lock for both, so concurrent attempts
    /// can't all slip under the limit.
    pub fn attempt(&self, ip: Option<&str>, email: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("not poisoned");
        if failures.len() > 100_000 {
            failures.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let keys = Self::keys(ip, email);
        for (key, is_ip) in &keys {
            if let Some((start, n)) = failures.get(key) {
                let limit = if *is_ip { self.per_ip } else { self.per_email };
                let elapsed = now.duration_since(*start);
                if elapsed < self.window && *n >= limit {
                    return Err((self.window - elapsed).as_secs().max(1));
                }
            }
        }
        for (key, _) in keys {
            let entry = failures.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= self.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_per_email_and_per_client() {
        let l = SignInLimiter::new(2, 3, Duration::from_secs(60));
        assert!(l.blocked(Some("10.0.0.1"), "a@x.test").is_none());
        l.attempt(Some("10.0.0.1"), "a@x.test").unwrap();
        l.attempt(Some("10.0.0.2"), "A@x.test").unwrap();
        assert!(l.attempt(Some("10.0.0.9"), "a@x.test").is_err());
        assert!(
            l.blocked(Some("10.0.0.3"), "a@x.test").is_some(),
            "per email"
        );
        assert!(l.blocked(Some("10.0.0.3"), "b@x.test").is_none());
        l.attempt(Some("10.0.0.3"), "b@x.test").unwrap();
        l.attempt(Some("10.0.0.3"), "c@x.test").unwrap();
        l.attempt(Some("10.0.0.3"), "d@x.test").unwrap();
        assert!(
            l.blocked(Some("10.0.0.3"), "e@x.test").is_some(),
            "per client"
        );
        assert!(l.blocked(Some("10.0.0.4"), "e@x.test").is_none());
    }

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
