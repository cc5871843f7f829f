//! Fetching a feed without letting it reach inside the network: every
//! address Herald connects to (first request and each redirect) is checked
//! first, and the body is capped in size and time.
//!
//! Host names are resolved by [`GuardedResolver`], which hands the HTTP
//! client only addresses that passed the check, so a DNS answer that changes
//! between check and connect (rebinding) can't slip through. IP literals never
//! reach a resolver, so they are checked on the URL, at the start and in the
//! redirect policy.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect;

/// At most this many redirects per fetch.
const MAX_REDIRECTS: usize = 5;

/// Networks a feed may not live on unless `feeds_allow_private` is set:
/// this host, private and shared ranges, link-local (cloud metadata lives at
/// 169.254.169.254), multicast, documentation and reserved space.
static BLOCKED: LazyLock<Vec<IpNet>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "100::/64",
        "2001::/32",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    ]
    .iter()
    .map(|n| n.parse().expect("a valid CIDR literal"))
    .collect()
});

/// Whether Herald may connect to `ip` when private addresses are refused.
/// IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4)
/// are judged by that address.
pub fn is_public(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = v6.to_ipv4_mapped().or_else(|| match s {
                // ::a.b.c.d (deprecated IPv4-compatible) and 64:ff9b::a.b.c.d (NAT64)
                [0, 0, 0, 0, 0, 0, _, _] | [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(
                    std::net::Ipv4Addr::from((u128::from(v6) & 0xffff_ffff) as u32),
                ),
                // 2002:AABB:CCDD::/48 (6to4)
                [0x2002, hi, lo, ..] => Some(std::net::Ipv4Addr::from(
                    (u32::from(hi) << 16) | u32::from(lo),
                )),
                _ => None,
            });
            embedded.map_or(IpAddr::V6(v6), IpAddr::V4)
        }
        v4 => v4,
    };
    !BLOCKED.iter().any(|n| n.contains(&ip))
}

/// Why a fetch failed, worded for the feed's `last_error`.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("refused: {0} is or resolves to a private, loopback or link-local address (set feeds_allow_private to allow it)")]
    Refused(String),
    #[error("refused: only http and https URLs are fetched, not {0}")]
    Scheme(String),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("{0}")]
    Other(String),
}

/// Resolves host names, keeping only the addresses [`is_public`] allows.
struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|a| is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(FetchError::Refused(host)) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The check a URL must pass before anything connects to it: http or https,
/// and, unless private addresses are allowed, no refused IP literal.
pub fn check_url(url: &url::Url, allow_private: bool) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Scheme(url.scheme().to_string()));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err(FetchError::Other("the URL has no host".to_string())),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(FetchError::Refused(ip.to_string()))
    }
}

/// An HTTP client behind the same guard that follows no redirect (a
/// webhook's answer is its status): for outgoing webhooks.
pub fn guarded_client(
    allow_private: bool,
    timeout: Duration,
    user_agent: &str,
) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(timeout)
        .timeout(timeout)
        .redirect(redirect::Policy::none())
        .no_proxy();
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    Ok(builder.build()?)
}

/// Finds the guard's own refusal in a client error's cause chain.
pub fn refusal(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(ours) = err.downcast_ref::<FetchError>() {
            return Some(ours.to_string());
        }
        source = err.source();
    }
    None
}

/// An HTTP client for feeds, built once and shared by every poll.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    allow_private: bool,
    timeout: Duration,
    max_bytes: u64,
}

impl Fetcher {
    pub fn new(allow_private: bool, timeout: Duration, max_bytes: u64) -> anyhow::Result<Self> {
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(FetchError::TooManyRedirects);
            }
            match check_url(attempt.url(), allow_private) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!(
                "Herald/",
                env!("CARGO_PKG_VERSION"),
                " (feed poller)"
            ))
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(policy)
            // A proxy would resolve names itself, out of the resolver's sight.
            .no_proxy();
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        Ok(Fetcher {
            client: builder.build()?,
            allow_private,
            timeout,
            max_bytes,
        })
    }

    /// The body at `url`, as raw bytes (feed-rs reads the XML's own encoding).
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let parsed =
            url::Url::parse(url).map_err(|e| FetchError::Other(format!("invalid URL: {e}")))?;
        check_url(&parsed, self.allow_private)?;
        let mut resp = self
            .client
            .get(parsed)
            .header(
                reqwest::header::ACCEPT,
                "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            )
            .send()
            .await
            .map_err(|e| self.classify(e))?;
        if !resp.status().is_success() {
            return Err(FetchError::Status(resp.status().as_u16()));
        }
        if resp.content_length().is_some_and(|n| n > self.max_bytes) {
            return Err(FetchError::TooLarge(self.max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(e))? {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(FetchError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Turns a client error into a short reason, finding our own refusal in
    /// the cause chain when the resolver or the redirect policy gave it.
    fn classify(&self, e: reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        let mut last = e.to_string();
        while let Some(err) = source {
            if let Some(ours) = err.downcast_ref::<FetchError>() {
                return match ours {
                    FetchError::Refused(h) => FetchError::Refused(h.clone()),
                    FetchError::Scheme(s) => FetchError::Scheme(s.clone()),
                    FetchError::TooManyRedirects => FetchError::TooManyRedirects,
                    other => FetchError::Other(other.to_string()),
                };
            }
            last = err.to_string();
            source = err.source();
        }
        if e.is_timeout() {
            FetchError::Timeout(self.timeout)
        } else if e.is_connect() {
            FetchError::Other(format!("cannot connect: {last}"))
        } else {
            FetchError::Other(last)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_pass() {
        for ok in [
            "93.184.215.14",
            "8.8.8.8",
            "172.32.0.1",
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
            "::ffff:93.184.215.14",
        ] {
            assert!(is_public(ok.parse().unwrap()), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fc00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "ff02::1",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad}");
        }
    }

    #[test]
    fn urls_are_checked_before_connecting() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(check_url(&u("https://example.com/feed"), false).is_ok());
        assert!(matches!(
            check_url(&u("http://127.0.0.1:8080/"), false),
            Err(FetchError::Refused(_))
        ));
        // The URL parser normalises the odd spellings of an address first.
        assert!(matches!(
            check_url(&u("http://0x7f.1/"), false),
            Err(FetchError::Refused(_))
        ));
        assert!(matches!(
            check_url(&u("http://[::ffff:a9fe:a9fe]/"), false),
            Err(FetchError::Refused(_))
        ));
        assert!(check_url(&u("http://127.0.0.1:8080/"), true).is_ok());
        assert!(matches!(
            check_url(&u("file:///etc/passwd"), true),
            Err(FetchError::Scheme(_))
        ));
    }
}
