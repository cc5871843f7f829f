//! Configuration: built-in defaults, then `herald.toml`, then `HERALD_*` variables.
//!
//! The `Config` struct and its defaults live here; where the values come
//! from (files, the environment, secrets in files) is `sources.rs`, loading
//! with the warnings to log is `load.rs`, and the parsers of single values
//! (durations, rates, sizes, CIDRs, DKIM) are in `parse.rs`.

mod bounce;
mod load;
mod parse;
mod sources;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use ipnet::IpNet;
use lettre::message::Mailbox;
use secrecy::{ExposeSecret, SecretString};

use crate::domain::{parse_origins, Origin, SignupOrigins};

pub use bounce::BounceSettings;
pub use load::Loaded;
pub use parse::{parse_bool, parse_duration, parse_rate, parse_size, LogFormat};
use parse::{parse_dkim, parse_proxies, parse_site, quoted_name};
pub use sources::{environment, unknown_variables, SECRET_KEYS};

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
    "auth_failure_rate",
    "body_timeout",
    "console_idle",
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
    "webhook_timeout",
    "webhook_retry_base",
    "webhook_disable_after",
    "purge_after",
    "purge_interval",
    "lease",
    "breaker_threshold",
    "breaker_cooloff",
    "workers",
    "timezone",
    "schedule_grace",
    "allowed_origins",
    "site_name",
    "site_url",
    "logo_url",
    "accent_color",
    "language",
    "log_format",
    "bounce_domain",
    "bounce_listen",
    "webhook_user",
    "webhook_password",
    "sns_topic_arns",
    "sns_test_cert_file",
];

/// The publication readers see: its name (replacing "Herald" on every
/// page and email), home page, logo and accent colour.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Site {
    pub name: String,
    pub url: Option<String>,
    pub logo_url: Option<String>,
    /// A CSS colour, `#rgb` or `#rrggbb`.
    pub accent: Option<String>,
}

impl Default for Site {
    fn default() -> Self {
        Self {
            name: "Herald".to_string(),
            url: None,
            logo_url: None,
            accent: None,
        }
    }
}

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
    /// Wrong admin tokens and unknown confirm/unsubscribe links per client
    /// IP; past it, 429. `None` turns it off.
    pub auth_failure_rate: Option<Rate>,
    /// A request body must arrive within this long (408 after).
    pub body_timeout: Duration,
    /// A console session unused this long ends.
    pub console_idle: Duration,
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
    /// Connect-plus-answer limit for one webhook delivery.
    pub webhook_timeout: Duration,
    /// First webhook retry delay; doubles per attempt up to an hour.
    pub webhook_retry_base: Duration,
    /// An endpoint whose every attempt failed for this long is disabled.
    pub webhook_disable_after: Duration,
    /// The zone of times readers see, and of schedules that name none.
    pub timezone: chrono_tz::Tz,
    /// A slot missed (the server was down) by less than this still runs,
    /// once; older ones are recorded as missed.
    pub schedule_grace: Duration,
    /// The news sites (`scheme://host[:port]`) whose pages may embed the
    /// signup form: they get CORS headers, may be `return_to` targets, and
    /// once any is listed, signups from other sites are refused.
    pub allowed_origins: Vec<Origin>,
    pub site: Site,
    /// The language of pages and emails whose newsletter names none.
    pub language: crate::domain::Language,
    /// How log lines are written on standard error.
    pub log_format: LogFormat,
    /// VERP, the bounce listener and the provider webhooks.
    pub bounce: BounceSettings,
}

impl Config {
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
        let site = parse_site(
            get("site_name"),
            get("site_url"),
            get("logo_url"),
            get("accent_color"),
        )?;
        let default_from = format!("{} <newsletter@localhost>", quoted_name(&site.name));
        let from = get("from").unwrap_or(&default_from);
        let base_url = get("base_url").unwrap_or("http://127.0.0.1:8080");
        let parsed = url::Url::parse(base_url).context("invalid `base_url`")?;
        if !matches!(parsed.scheme(), "http" | "https") {
            bail!("`base_url` must be an http or https URL");
        }
        let send_rate = match get("send_rate") {
            None | Some("0") | Some("unlimited") => None,
            Some(v) => Some(v.parse().context("invalid `send_rate`")?),
        };
        if get("admin_token").is_some_and(|t| t.chars().count() < 32) {
            bail!(
                "`admin_token` must be at least 32 characters (it is a password to the whole \
                 admin API); make one with `openssl rand -hex 32`"
            );
        }
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
                .unwrap_or(32)
                .max(1),
            confirm_ttl: dur("confirm_ttl", "48h")?,
            resend_cooldown: dur("resend_cooldown", "10m")?,
            signup_rate: parse_rate(get("signup_rate").unwrap_or("10/min"))
                .context("invalid `signup_rate`")?,
            auth_failure_rate: parse_rate(get("auth_failure_rate").unwrap_or("30/min"))
                .context("invalid `auth_failure_rate`")?,
            body_timeout: dur("body_timeout", "30s")?,
            console_idle: dur("console_idle", "30m")?,
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
            webhook_timeout: dur("webhook_timeout", "10s")?,
            webhook_retry_base: dur("webhook_retry_base", "30s")?,
            webhook_disable_after: dur("webhook_disable_after", "3d")?,
            timezone: crate::domain::parse_zone(get("timezone").unwrap_or("UTC"))
                .context("invalid `timezone`")?,
            schedule_grace: dur("schedule_grace", "1h")?,
            allowed_origins: parse_origins(get("allowed_origins").unwrap_or(""))
                .map_err(|e| anyhow::anyhow!("invalid `allowed_origins`: {e}"))?,
            language: crate::domain::Language::parse(get("language").unwrap_or("en"))
                .map_err(|r| anyhow::anyhow!("invalid `language`: {}", r.message))?,
            log_format: LogFormat::parse(get("log_format").unwrap_or("text"))
                .context("invalid `log_format`")?,
            bounce: BounceSettings::parse(|k| get(k).map(str::to_string))?,
            site,
        })
    }

    /// The database URL with any password hidden, for log lines.
    pub fn database_url_redacted(&self) -> String {
        redact_url(self.database_url.expose_secret())
    }

    /// Herald's own origin (its base URL's) and the listed news sites.
    pub fn signup_origins(&self) -> SignupOrigins {
        let own = url::Url::parse(&self.base_url)
            .ok()
            .and_then(|u| Origin::of(&u))
            .expect("base_url was checked when the configuration was built");
        SignupOrigins::new(own, self.allowed_origins.clone())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_redaction() {
        let mut v = BTreeMap::new();
        v.insert(
            "database_url".to_string(),
            "postgres://u:hunter2@db/herald".to_string(),
        );
        v.insert(
            "smtp_url".to_string(),
            "smtp://u:pw@mail:587?tls=required".to_string(),
        );
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
        v.remove("nonsense");
        v.insert("admin_token".to_string(), "short-and-guessable".to_string());
        let e = Config::from_values(&v).unwrap_err().to_string();
        assert!(e.contains("at least 32 characters"), "{e}");
        v.insert("admin_token".to_string(), "x".repeat(32));
        assert!(Config::from_values(&v).is_ok());
    }
}
