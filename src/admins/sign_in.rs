//! How often the console lets someone try a password, counted in the
//! database so every process shares the counts:
//! - per email address, the first five failures are free; after that each
//!   attempt waits twice as long as the one before (1 s, 2 s, 4 s, … at
//!   most a minute). A guesser is slowed to a crawl, but the address is
//!   never locked: its owner gets in after a short wait.
//! - per client network, 20 failures in 15 minutes (spraying many
//!   addresses); then it waits out the 15 minutes.
//!
//! Every attempt counts before its password is checked; a success takes
//! its count back.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::app::{App, Result};
use crate::domain::network::client_network;
use crate::domain::token;
use crate::store::Attempts;

const FREE_PER_EMAIL: i64 = 5;
const MAX_DELAY_SECS: i64 = 60;
const PER_CLIENT: i64 = 20;
const WINDOW_SECS: i64 = 15 * 60;

fn keys(ip: Option<IpAddr>, email: &str) -> Vec<String> {
    let client = ip.map_or_else(|| "?".to_string(), |ip| client_network(ip).to_string());
    vec![
        token::hash(&format!("email:{}", email.trim().to_lowercase())),
        token::hash(&format!("ip:{client}")),
    ]
}

/// Whole seconds, at least one.
fn seconds(d: chrono::Duration) -> u64 {
    let ms = d.num_milliseconds().max(1) as u64;
    ms.div_ceil(1000)
}

/// The decision on one attempt, given the counts so far (email, client).
fn decide(seen: &[Attempts], now: DateTime<Utc>) -> std::result::Result<Vec<i64>, u64> {
    let window = chrono::Duration::seconds(WINDOW_SECS);
    // Counts that have rested a whole window start again.
    let current = |a: &Attempts| match a.last_at {
        Some(t) if now - t < window => (a.failures, t),
        _ => (0, now),
    };
    let (email, email_at) = current(&seen[0]);
    let (client, client_at) = current(&seen[1]);
    if client >= PER_CLIENT {
        return Err(seconds(window - (now - client_at)));
    }
    if email >= FREE_PER_EMAIL {
        let doublings = (email - FREE_PER_EMAIL).min(6) as u32;
        let delay = chrono::Duration::seconds((1i64 << doublings).min(MAX_DELAY_SECS));
        let waited = now - email_at;
        if waited < delay {
            return Err(seconds(delay - waited));
        }
    }
    Ok(vec![email + 1, client + 1])
}

/// Counts an attempt for `email` from `ip`; `Ok(Err(seconds to wait))`,
/// counting nothing, when it has to wait.
pub async fn attempt(
    app: &App,
    ip: Option<IpAddr>,
    email: &str,
) -> Result<std::result::Result<(), u64>> {
    let now = Utc::now();
    Ok(app
        .store
        .sign_in_attempt(&keys(ip, email), now, |seen| decide(seen, now))
        .await?)
}

/// Takes back the attempt of a sign-in that succeeded.
pub async fn succeeded(app: &App, ip: Option<IpAddr>, email: &str) -> Result<()> {
    Ok(app.store.sign_in_succeeded(&keys(ip, email)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(failures: i64, secs_ago: i64, now: DateTime<Utc>) -> Attempts {
        Attempts {
            failures,
            last_at: Some(now - chrono::Duration::seconds(secs_ago)),
        }
    }

    #[test]
    fn an_address_slows_down_but_never_locks() {
        let now = Utc::now();
        let fresh = Attempts {
            failures: 0,
            last_at: None,
        };
        assert_eq!(decide(&[fresh, fresh], now), Ok(vec![1, 1]));
        assert_eq!(decide(&[at(4, 0, now), fresh], now), Ok(vec![5, 1]));
        // The sixth waits a second, the seventh two, … at most a minute.
        assert_eq!(decide(&[at(5, 0, now), fresh], now), Err(1));
        assert_eq!(decide(&[at(5, 1, now), fresh], now), Ok(vec![6, 1]));
        assert_eq!(decide(&[at(6, 1, now), fresh], now), Err(1));
        assert_eq!(decide(&[at(6, 2, now), fresh], now), Ok(vec![7, 1]));
        assert_eq!(decide(&[at(500, 30, now), fresh], now), Err(30));
        assert_eq!(decide(&[at(500, 60, now), fresh], now), Ok(vec![501, 1]));
        // A quarter of an hour's rest starts the count again.
        assert_eq!(decide(&[at(500, 15 * 60, now), fresh], now), Ok(vec![1, 1]));
    }

    #[test]
    fn a_client_that_sprays_addresses_waits_the_window_out() {
        let now = Utc::now();
        let fresh = Attempts {
            failures: 0,
            last_at: None,
        };
        assert_eq!(decide(&[fresh, at(19, 0, now)], now), Ok(vec![1, 20]));
        assert_eq!(decide(&[fresh, at(20, 60, now)], now), Err(14 * 60));
    }
}
