//! Configuration: built-in defaults, then `herald.toml`, then `HERALD_*` variables.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use ipnet::IpNet;
use lettre::message::Mailbox;
use secrecy::{ExposeSecret, SecretString};

/// Every key Herald understands, as written in `herald.toml` (lower case) and,
/// upper-cased with a `HERALD_` prefix, in the environment. The last ones are
/// tuning knobs mostly useful to tests.
pub const KEYS: &[&str] = &[
    "database_url",
    "listen",
    "base_url",
    "smtp_url",
    "outbox_dir",
    "from",
    "admin_token",
    "send_rate",
    "smtp_pool",
    "confirm_ttl",
    "resend_cooldown",
    "signup_rate",
    "trusted_proxies",
    "retry_for",
    "templates_dir",
    "dkim_domain",
    "dkim_selector",
    "dkim_key_file",
    "retry_base",
    "retry_max",
    "worker_poll",
    "smtp_timeout",
    "smtp_ca_file",
    "feeds_allow_private",
    "feed_timeout",
    "feed_max_bytes",
    "purge_after",
    "purge_interval",
    "lease",
    "breaker_threshold",
    "breaker_cooloff",
    "workers",
];

/// A limit of `count` events per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

/// Herald's settings. Secrets are `SecretString`, so `{:?}` never shows them.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: SecretString,
    pub listen: String,
    /// Absolute base for links in emails, without a trailing slash.
    pub base_url: String,
    pub smtp_url: Option<SecretString>,
    pub outbox_dir: PathBuf,
    pub from: Mailbox,
    pub admin_token: Option<SecretString>,
    pub send_rate: Option<u32>,
    pub smtp_pool: u32,
    pub confirm_ttl: Duration,
    pub resend_cooldown: Duration,
    /// `None` turns the per-IP signup limit off.
    pub signup_rate: Option<Rate>,
    pub trusted_proxies: Vec<IpNet>,
    pub retry_for: Duration,
    pub templates_dir: Option<PathBuf>,
    /// DKIM signing for every outgoing message, when all three keys are set.
    pub dkim: Option<DkimSettings>,
    /// First retry delay; doubles per attempt up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// How often an idle worker looks for due messages.
    pub worker_poll: Duration,
    pub smtp_timeout: Duration,
    /// A PEM file of extra certificate authorities to trust for the SMTP
    /// relay's TLS (a private CA), beside the system's.
    pub smtp_ca_file: Option<PathBuf>,
    /// Pending subscriptions are removed this long after their link expired.
    pub purge_after: Duration,
    /// How often the purge runs.
    pub purge_interval: Duration,
    /// How long a claimed message is held before another worker may take
    /// it (after a crash): longer than any one SMTP conversation.
    pub lease: Duration,
    /// After this many temporary failures in a row the worker stops
    /// claiming for `breaker_cooloff` instead of burning attempts.
    pub breaker_threshold: u32,
    pub breaker_cooloff: Duration,
    /// Delivery workers in `herald serve` (0: HTTP only, for scale-out
    /// with separate `herald worker` processes); `herald worker` runs at
    /// least one.
    pub workers: u32,
    /// Lets feeds live on loopback, private and link-local addresses. Off by
    /// default, so an admin token can't be used to probe the internal network.
    pub feeds_allow_private: bool,
    /// Connect-plus-download limit for one feed fetch, so a slow server
    /// can't hold a poll forever.
    pub feed_timeout: Duration,
    /// A feed response larger than this is refused while it streams in.
    pub feed_max_bytes: u64,
}

impl Config {
    /// Reads `herald.toml` from the working directory (if present), then the
    /// environment, which wins.
    pub fn load() -> anyhow::Result<Self> {
        let mut values = BTreeMap::new();
        let path = std::path::Path::new("herald.toml");
        if path.exists() {
            let text = std::fs::read_to_string(path).context("reading herald.toml")?;
            values.extend(parse_toml(&text).context("parsing herald.toml")?);
        }
        if let Ok(v) = std::env::var("DATABASE_URL") {
            values.insert("database_url".to_string(), v);
        }
        for key in KEYS {
            if let Ok(v) = std::env::var(format!("HERALD_{}", key.to_uppercase())) {
                values.insert((*key).to_string(), v);
            }
        }
        Self::from_values(&values)
    }

    /// Builds a configuration from key/value pairs (the lower-case keys of
    /// [`KEYS`]); missing keys take their defaults.
    pub fn from_values(values: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        for key in values.keys() {
            if !KEYS.contains(&key.as_str()) {
                bail!("unknown configuration key `{key}`");
            }
        }
        let get = |k: &str| values.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        let dur = |k: &str, default: &str| -> anyhow::Result<Duration> {
            parse_duration(get(k).unwrap_or(default)).with_context(|| format!("invalid `{k}`"))
        };
        let from = get("from").unwrap_or("Herald <newsletter@localhost>");
        let base_url = get("base_url").unwrap_or("http://127.0.0.1:8080");
        let parsed = url::Url::parse(base_url).context("invalid `base_url`")?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!("`base_url` must be an http or https URL");
        }
        let send_rate = match get("send_rate") {
            None | Some("0") | Some("unlimited") => None,
            Some(v) => Some(v.parse().context("invalid `send_rate`")?),
        };
        let trusted_proxies = get("trusted_proxies")
            .map(parse_proxies)
            .transpose()
            .context("invalid `trusted_proxies`")?
            .unwrap_or_default();
        Ok(Config {
            database_url: SecretString::from(get("database_url").unwrap_or("sqlite://herald.db")),
            listen: get("listen").unwrap_or("127.0.0.1:8080").to_string(),
            base_url: base_url.trim_end_matches('/').to_string(),
            smtp_url: get("smtp_url").map(SecretString::from),
            outbox_dir: PathBuf::from(get("outbox_dir").unwrap_or("./outbox")),
            from: from.parse().context("invalid `from` address")?,
            admin_token: get("admin_token").map(SecretString::from),
            send_rate,
            smtp_pool: get("smtp_pool")
                .map(str::parse)
                .transpose()
                .context("invalid `smtp_pool`")?
                .unwrap_or(4)
                .max(1),
            confirm_ttl: dur("confirm_ttl", "48h")?,
            resend_cooldown: dur("resend_cooldown", "10m")?,
            signup_rate: parse_rate(get("signup_rate").unwrap_or("10/min"))
                .context("invalid `signup_rate`")?,
            trusted_proxies,
            retry_for: dur("retry_for", "48h")?,
            templates_dir: get("templates_dir").map(PathBuf::from),
            dkim: parse_dkim(
                get("dkim_domain"),
                get("dkim_selector"),
                get("dkim_key_file"),
            )?,
            retry_base: dur("retry_base", "30s")?,
            retry_max: dur("retry_max", "1h")?,
            worker_poll: dur("worker_poll", "1s")?,
            smtp_timeout: dur("smtp_timeout", "60s")?,
            smtp_ca_file: get("smtp_ca_file").map(PathBuf::from),
            purge_after: dur("purge_after", "30d")?,
            purge_interval: dur("purge_interval", "1h")?,
            lease: match get("lease") {
                Some(v) => parse_duration(v).context("invalid `lease`")?,
                None => Duration::from_secs(120).max(dur("smtp_timeout", "60s")? * 2),
            },
            breaker_threshold: get("breaker_threshold")
                .map(str::parse)
                .transpose()
                .context("invalid `breaker_threshold`")?
                .unwrap_or(20),
            breaker_cooloff: dur("breaker_cooloff", "30s")?,
            workers: get("workers")
                .map(str::parse)
                .transpose()
                .context("invalid `workers`")?
                .unwrap_or(1)
                .min(64),
            feeds_allow_private: parse_bool(get("feeds_allow_private").unwrap_or("false"))
                .context("invalid `feeds_allow_private`")?,
            feed_timeout: dur("feed_timeout", "15s")?,
            feed_max_bytes: parse_size(get("feed_max_bytes").unwrap_or("5MiB"))
                .context("invalid `feed_max_bytes`")?,
        })
    }

    /// The database URL with any password hidden, for log lines.
    pub fn database_url_redacted(&self) -> String {
        redact_url(self.database_url.expose_secret())
    }

    pub fn is_postgres(&self) -> bool {
        let url = self.database_url.expose_secret();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }
}

/// Hides the password of a URL (`postgres://user:***@host/db`).
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "<unparsable url>".to_string(),
    }
}

fn parse_toml(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let table: toml::Table = text.parse()?;
    let mut out = BTreeMap::new();
    for (k, v) in table {
        let s = match v {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    toml::Value::String(s) => Ok(s.clone()),
                    _ => Err(anyhow!("`{k}` must be a list of strings")),
                })
                .collect::<anyhow::Result<Vec<_>>>()?
                .join(","),
            _ => bail!("`{k}` has an unsupported value"),
        };
        out.insert(k, s);
    }
    Ok(out)
}

/// Parses `500ms`, `30s`, `10m`, `48h`, `2d` (a bare number is seconds).
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| anyhow!("`{s}` is not a duration"))?;
    let secs = match unit.trim() {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => n,
        "m" | "min" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        other => bail!("unknown duration unit `{other}` (use s, m, h or d)"),
    };
    Ok(Duration::from_secs(secs))
}

/// Parses `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), as
/// environment variables spell booleans all of these ways.
pub fn parse_bool(s: &str) -> anyhow::Result<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => bail!("`{other}` is not true or false"),
    }
}

/// Parses a byte count: `5242880`, `512KiB`, `5MiB` (`K`/`KB` and `M`/`MB`
/// are read as the binary units too).
pub fn parse_size(s: &str) -> anyhow::Result<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| anyhow!("`{s}` is not a size"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        other => bail!("unknown size unit `{other}` (use KiB or MiB)"),
    };
    n.checked_mul(factor)
        .ok_or_else(|| anyhow!("`{s}` is too large"))
}

/// Parses `10/min`, `5/s`, `100/h`; `0` means no limit.
pub fn parse_rate(s: &str) -> anyhow::Result<Option<Rate>> {
    let s = s.trim();
    if s == "0" || s == "off" {
        return Ok(None);
    }
    let (count, per) = s
        .split_once('/')
        .ok_or_else(|| anyhow!("`{s}` is not a rate like 10/min"))?;
    let count: u32 = count.trim().parse().context("rate count")?;
    if count == 0 {
        return Ok(None);
    }
    let per = match per.trim() {
        "s" | "sec" => Duration::from_secs(1),
        "m" | "min" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        other => bail!("unknown rate period `{other}` (use s, min or h)"),
    };
    Ok(Some(Rate { count, per }))
}

/// Where DKIM signatures come from. The key itself is read when the mailer
/// is built ([`crate::email::Dkim::load`]), so it never sits in `Config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimSettings {
    /// The `d=` domain: the From domain, or a parent of it, for DMARC.
    pub domain: String,
    /// The `s=` selector: the key is published at `SELECTOR._domainkey.DOMAIN`.
    pub selector: String,
    pub key_file: PathBuf,
}

/// All three DKIM keys or none: half a configuration would send unsigned
/// mail while the operator believes it is signed.
fn parse_dkim(
    domain: Option<&str>,
    selector: Option<&str>,
    key_file: Option<&str>,
) -> anyhow::Result<Option<DkimSettings>> {
    let (domain, selector, key_file) = match (domain, selector, key_file) {
        (None, None, None) => return Ok(None),
        (Some(d), Some(s), Some(k)) => (d, s, k),
        _ => {
            bail!("set all of `dkim_domain`, `dkim_selector` and `dkim_key_file`, or none of them")
        }
    };
    // Both end up in the DKIM-Signature header and a DNS name: plain
    // dot-separated labels only (an internationalised domain in its xn-- form).
    let labels = |v: &str| {
        !v.is_empty()
            && v.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
    };
    if !labels(domain) {
        bail!("invalid `dkim_domain` `{domain}`: a domain name such as example.com");
    }
    if !labels(selector) {
        bail!("invalid `dkim_selector` `{selector}`: letters, digits, `-`, `_` and `.` only");
    }
    Ok(Some(DkimSettings {
        domain: domain.to_ascii_lowercase(),
        selector: selector.to_string(),
        key_file: PathBuf::from(key_file),
    }))
}

fn parse_proxies(s: &str) -> anyhow::Result<Vec<IpNet>> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| anyhow!("`{p}` is not an address or CIDR"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("48h").unwrap(), Duration::from_secs(172_800));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("7").unwrap(), Duration::from_secs(7));
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("5y").is_err());
    }

    #[test]
    fn sizes_and_booleans() {
        assert_eq!(parse_size("5MiB").unwrap(), 5 * 1024 * 1024);
        assert_eq!(parse_size("512 KiB").unwrap(), 512 * 1024);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("5GiB").is_err() && parse_size("MiB").is_err());
        assert!(parse_bool("TRUE").unwrap() && !parse_bool("0").unwrap());
        assert!(parse_bool("maybe").is_err());
        let c = Config::from_values(&BTreeMap::new()).unwrap();
        assert!(!c.feeds_allow_private);
        assert_eq!(c.feed_timeout, Duration::from_secs(15));
        assert_eq!(c.feed_max_bytes, 5 * 1024 * 1024);
    }

    #[test]
    fn rates() {
        let r = parse_rate("10/min").unwrap().unwrap();
        assert_eq!((r.count, r.per), (10, Duration::from_secs(60)));
        assert_eq!(parse_rate("0").unwrap(), None);
        assert!(parse_rate("ten").is_err());
    }

    #[test]
    fn defaults_and_redaction() {
        let mut v = BTreeMap::new();
        v.insert(
            "database_url".to_string(),
            "postgres://u:hunter2@db/herald".to_string(),
        );
        v.insert("smtp_url".to_string(), "smtp://u:pw@mail:587".to_string());
        let c = Config::from_values(&v).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert!(c.is_postgres());
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains(":pw@"),
            "{debug}"
        );
        assert!(!c.database_url_redacted().contains("hunter2"));
        v.insert("nonsense".to_string(), "1".to_string());
        assert!(Config::from_values(&v).is_err());
    }

    #[test]
    fn dkim_is_all_or_nothing() {
        let with = |pairs: &[(&str, &str)]| {
            let v = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Config::from_values(&v)
        };
        assert_eq!(with(&[]).unwrap().dkim, None);
        let full = [
            ("dkim_domain", "News.Example.com"),
            ("dkim_selector", "herald2026"),
            ("dkim_key_file", "/etc/herald/dkim.pem"),
        ];
        let d = with(&full).unwrap().dkim.unwrap();
        assert_eq!(
            (d.domain.as_str(), d.selector.as_str()),
            ("news.example.com", "herald2026")
        );
        for missing in 0..3 {
            let mut partial = full.to_vec();
            partial.remove(missing);
            let e = with(&partial).unwrap_err().to_string();
            assert!(e.contains("or none of them"), "{e}");
        }
        let mut bad = full.to_vec();
        bad[0].1 = "example.com; h=from";
        assert!(with(&bad).is_err());
        bad[0].1 = "example.com";
        bad[1].1 = "a b";
        assert!(with(&bad).is_err());
    }

    #[test]
    fn toml_values() {
        let m = parse_toml("listen = \"0.0.0.0:9000\"\nsmtp_pool = 8\n").unwrap();
        assert_eq!(m["listen"], "0.0.0.0:9000");
        assert_eq!(m["smtp_pool"], "8");
    }
}
