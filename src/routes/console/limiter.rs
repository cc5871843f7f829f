//! Failed sign-ins, counted per client address and per email address in
//! fixed windows kept in memory; past the limit, sign-in is refused (429)
//! before the password is even checked.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

    /// Counts one failed sign-in against both keys.
    pub fn failed(&self, ip: Option<&str>, email: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("not poisoned");
        if failures.len() > 100_000 {
            failures.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        for (key, _) in Self::keys(ip, email) {
            let entry = failures.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= self.window {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_per_email_and_per_client() {
        let l = SignInLimiter::new(2, 3, Duration::from_secs(60));
        assert!(l.blocked(Some("10.0.0.1"), "a@x.test").is_none());
        l.failed(Some("10.0.0.1"), "a@x.test");
        l.failed(Some("10.0.0.2"), "A@x.test");
        assert!(
            l.blocked(Some("10.0.0.3"), "a@x.test").is_some(),
            "per email"
        );
        assert!(l.blocked(Some("10.0.0.3"), "b@x.test").is_none());
        l.failed(Some("10.0.0.3"), "b@x.test");
        l.failed(Some("10.0.0.3"), "c@x.test");
        l.failed(Some("10.0.0.3"), "d@x.test");
        assert!(
            l.blocked(Some("10.0.0.3"), "e@x.test").is_some(),
            "per client"
        );
        assert!(l.blocked(Some("10.0.0.4"), "e@x.test").is_none());
    }
}
