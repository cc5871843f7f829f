//! Per-client limits: a GCRA limiter (`governor`) keyed on the client's
//! network: an IPv4 address, or an IPv6 /64 (one subscriber line holds a
//! whole /64, so single addresses would be free to rotate).
//!
//! Memory stays bounded: past `MAX_KEYS` clients the limiter forgets those
//! whose budget is full again, and should that not be enough (a flood from
//! more networks than that within one period) it starts afresh.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Gcra};

use crate::config::Rate;
use crate::domain::network::client_network as client_key;

const MAX_KEYS: usize = 100_000;

type Limiter =
    Gcra<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

/// `count` per `per` for each client, as a burst of `count` that refills
/// evenly over `per`. `None` (a rate of 0) limits nothing.
pub struct RateLimiter {
    quota: Option<Quota>,
    gcra: RwLock<Limiter>,
    /// The count of clients past which the next clean-up runs: it doubles
    /// with what a clean-up leaves, so a flood of clients costs a scan now
    /// and then, not one per request.
    clean_at: AtomicUsize,
    clock: DefaultClock,
    /// Clients that have used their budget, until when: so a client over
    /// the limit can be refused before its request is looked at.
    spent: Mutex<HashMap<IpAddr, Instant>>,
}

fn quota(rate: Rate) -> Option<Quota> {
    let count = NonZeroU32::new(rate.count)?;
    let every = rate.per / rate.count;
    Quota::with_period(every.max(Duration::from_nanos(1))).map(|q| q.allow_burst(count))
}

fn fresh(quota: Option<Quota>, clock: &DefaultClock) -> Limiter {
    // With no quota the limiter is never asked; any will do.
    let q = quota.unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
    Gcra::dashmap_with_clock(q, clock.clone()).with_middleware::<StateInformationMiddleware>()
}

fn whole_seconds(d: Duration) -> u64 {
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
}

impl RateLimiter {
    pub fn new(rate: Option<Rate>) -> Self {
        let clock = DefaultClock::default();
        let quota = rate.and_then(quota);
        let gcra = RwLock::new(fresh(quota, &clock));
        Self {
            quota,
            gcra,
            clean_at: AtomicUsize::new(MAX_KEYS),
            clock,
            spent: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when the client has used its budget,
    /// counting nothing.
    pub fn over(&self, ip: Option<IpAddr>) -> Option<u64> {
        let (Some(_), Some(ip)) = (self.quota, ip) else {
            return None;
        };
        let spent = self.spent.lock().expect("not poisoned");
        let until = *spent.get(&client_key(ip))?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| whole_seconds(left))
    }

    /// Counts one request; `Err(seconds to wait)` once over the limit.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), u64> {
        let (Some(_), Some(ip)) = (self.quota, ip) else {
            return Ok(());
        };
        let key = client_key(ip);
        let (result, full) = {
            let gcra = self.gcra.read().expect("not poisoned");
            (
                gcra.check_key(&key),
                gcra.len() > self.clean_at.load(Ordering::Relaxed),
            )
        };
        if full {
            self.forget();
        }
        let now = Instant::now();
        match result {
            Ok(snapshot) if snapshot.remaining_burst_capacity() > 0 => Ok(()),
            // This one passes, and the next one must wait a refill.
            Ok(snapshot) => {
                self.mark(key, now + snapshot.quota().replenish_interval());
                Ok(())
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                self.mark(key, now + wait);
                Err(whole_seconds(wait))
            }
        }
    }

    fn mark(&self, key: IpAddr, until: Instant) {
        let mut spent = self.spent.lock().expect("not poisoned");
        if spent.len() >= MAX_KEYS {
            let now = Instant::now();
            spent.retain(|_, t| *t > now);
            if spent.len() >= MAX_KEYS {
                tracing::warn!(clients = spent.len(), "rate limiter full: starting afresh");
                spent.clear();
            }
        }
        spent.insert(key, until);
    }

    fn forget(&self) {
        let mut gcra = self.gcra.write().expect("not poisoned");
        if gcra.len() <= self.clean_at.load(Ordering::Relaxed) {
            return; // another request cleaned up meanwhile
        }
        gcra.retain_recent();
        gcra.shrink_to_fit();
        if gcra.len() > 4 * MAX_KEYS {
            tracing::warn!(clients = gcra.len(), "rate limiter full: starting afresh");
            *gcra = fresh(self.quota, &self.clock);
        }
        self.clean_at
            .store((2 * gcra.len()).max(MAX_KEYS), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_a_minute() -> RateLimiter {
        RateLimiter::new(Some(Rate {
            count: 2,
            per: Duration::from_secs(60),
        }))
    }

    #[test]
    fn limits_per_address() {
        let l = two_a_minute();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(l.over(Some(a)).is_none());
        assert!(l.check(Some(a)).is_ok());
        assert!(l.over(Some(a)).is_none());
        assert!(l.check(Some(a)).is_ok());
        // The budget is used: refused before looking, and when counted.
        assert!((1..=30).contains(&l.over(Some(a)).unwrap()));
        let wait = l.check(Some(a)).unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(l.check(Some(b)).is_ok());
        assert!(RateLimiter::new(None).check(Some(a)).is_ok());
        assert!(RateLimiter::new(None).over(Some(a)).is_none());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let l = two_a_minute();
        for ip in ["2001:db8:1:2::1", "2001:db8:1:2:ffff::7"] {
            assert!(l.check(Some(ip.parse().unwrap())).is_ok(), "{ip}");
        }
        assert!(l
            .check(Some("2001:db8:1:2:abcd::9".parse().unwrap()))
            .is_err());
        assert!(l.check(Some("2001:db8:1:3::1".parse().unwrap())).is_ok());

        assert!(l.check(Some("::ffff:192.0.2.1".parse().unwrap())).is_ok());
        assert!(l.check(Some("192.0.2.1".parse().unwrap())).is_ok());
        assert!(l.check(Some("192.0.2.1".parse().unwrap())).is_err());
    }

    #[test]
    fn memory_stays_bounded() {
        let l = RateLimiter::new(Some(Rate {
            count: 1,
            per: Duration::from_millis(1),
        }));
        for i in 0..(MAX_KEYS as u32 + 5_000) {
            let _ = l.check(Some(IpAddr::from(i.to_be_bytes())));
        }
        std::thread::sleep(Duration::from_millis(5));
        let _ = l.check(Some("10.0.0.1".parse().unwrap()));
        assert!(l.gcra.read().unwrap().len() <= MAX_KEYS + 1);
        assert!(l.spent.lock().unwrap().len() <= MAX_KEYS);
    }
}
