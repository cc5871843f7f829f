//! Who is asking: the client address (believing `X-Forwarded-For` only from
//! trusted proxies) and a per-address signup rate limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::http::header;
use actix_web::HttpRequest;
use ipnet::IpNet;

use crate::config::Rate;
use crate::store::ConsentContext;

/// The client address: the peer, unless the peer is a trusted proxy, in
/// which case the right-most `X-Forwarded-For` entry that isn't one.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    // Several headers count as one list, in order; read it from the right.
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => client = ip,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(client),
        }
    }
    Some(client)
}

fn clean(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// Consent evidence for this request; `form` names the channel.
pub fn consent(req: &HttpRequest, ip: Option<IpAddr>, channel: &str) -> ConsentContext {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let form = match header(header::REFERER) {
        Some(r) => format!("{channel} {}", clean(r, 300)),
        None => channel.to_string(),
    };
    ConsentContext {
        ip: ip.map(|ip| ip.to_string()),
        user_agent: header(header::USER_AGENT).map(|ua| clean(ua, 300)),
        form: Some(form),
        note: None,
    }
}

/// A fixed-window counter per client address, kept in memory.
pub struct RateLimiter {
    rate: Option<Rate>,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn new(rate: Option<Rate>) -> Self {
        Self {
            rate,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when `ip` is over the limit now, counting
    /// nothing.
    pub fn over(&self, ip: Option<IpAddr>) -> Option<u64> {
        let (Some(rate), Some(ip)) = (self.rate, ip) else {
            return None;
        };
        let now = Instant::now();
        let windows = self.windows.lock().expect("not poisoned");
        let (start, n) = windows.get(&ip)?;
        let left = rate.per.saturating_sub(now.duration_since(*start));
        (*n >= rate.count && !left.is_zero())
            .then(|| left.as_secs().max(1) + u64::from(left.subsec_nanos() > 0))
    }

    /// Counts one request; `Err(seconds to wait)` once over the limit.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), u64> {
        let (Some(rate), Some(ip)) = (self.rate, ip) else {
            return Ok(());
        };
        let now = Instant::now();
        let mut windows = self.windows.lock().expect("not poisoned");
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < rate.per);
        }
        let entry = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= rate.per {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > rate.count {
            let left = rate.per.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1) + u64::from(left.subsec_nanos() > 0));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn limits_per_address() {
        let l = RateLimiter::new(Some(Rate {
            count: 2,
            per: Duration::from_secs(60),
        }));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(l.check(Some(a)).is_ok());
        assert!(l.check(Some(a)).is_ok());
        let wait = l.check(Some(a)).unwrap_err();
        assert!((1..=61).contains(&wait));
        assert!(l.check(Some(b)).is_ok());
        assert!(RateLimiter::new(None).check(Some(a)).is_ok());
    }
}
