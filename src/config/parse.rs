//! Parsers for single configuration values: `herald.toml` tables, durations,
//! booleans, sizes, rates, DKIM settings, trusted-proxy CIDRs and the log
//! format.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use ipnet::IpNet;

use super::{DkimSettings, Rate, Site};

pub(super) fn parse_toml(text: &str) -> anyhow::Result<BTreeMap<String, String>> {
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

/// How log lines are written on standard error (`HERALD_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl LogFormat {
    /// `text` or `json`, in any case.
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => bail!("`{}` is neither `text` nor `json`", s.trim()),
        }
    }
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

/// All three DKIM keys or none: half a configuration would send unsigned
/// mail while the operator believes it is signed.
pub(super) fn parse_dkim(
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

pub(super) fn parse_proxies(s: &str) -> anyhow::Result<Vec<IpNet>> {
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

/// The publication: a name of 1-100 characters with no control
/// characters, http(s) URLs for its home page and logo, and a hex colour.
pub(super) fn parse_site(
    name: Option<&str>,
    url: Option<&str>,
    logo_url: Option<&str>,
    accent: Option<&str>,
) -> anyhow::Result<Site> {
    let name = name.unwrap_or("Herald");
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        bail!("invalid `site_name`: at most 100 characters, no control characters");
    }
    let web = |key: &str, v: Option<&str>| -> anyhow::Result<Option<String>> {
        let Some(v) = v else { return Ok(None) };
        match url::Url::parse(v) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                Ok(Some(u.to_string()))
            }
            _ => bail!("invalid `{key}`: {v:?} is not an http or https URL"),
        }
    };
    let accent = match accent {
        Some(c)
            if c.len() <= 7
                && c.starts_with('#')
                && matches!(c.len(), 4 | 7)
                && c[1..].chars().all(|ch| ch.is_ascii_hexdigit()) =>
        {
            Some(c.to_ascii_lowercase())
        }
        Some(c) => bail!("invalid `accent_color`: {c:?} is not a colour like #0b4fb3"),
        None => None,
    };
    Ok(Site {
        name: name.to_string(),
        url: web("site_url", url)?,
        logo_url: web("logo_url", logo_url)?,
        accent,
    })
}

/// A display name as a mailbox needs it: quoted when it holds anything
/// beyond letters, digits and spaces.
pub(super) fn quoted_name(name: &str) -> String {
    if name.chars().all(|c| c.is_alphanumeric() || c == ' ') {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace(['"', '\\'], ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

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
    fn log_formats() {
        assert_eq!(LogFormat::parse("text").unwrap(), LogFormat::Text);
        assert_eq!(LogFormat::parse(" JSON ").unwrap(), LogFormat::Json);
        let e = LogFormat::parse("xml").unwrap_err().to_string();
        assert!(e.contains("`xml`") && e.contains("json"), "{e}");
        assert_eq!(
            Config::from_values(&BTreeMap::new()).unwrap().log_format,
            LogFormat::Text
        );
        let bad = [("log_format".to_string(), "logfmt".to_string())].into();
        let e = format!("{:#}", Config::from_values(&bad).unwrap_err());
        assert!(e.contains("log_format") && e.contains("`logfmt`"), "{e}");
    }

    #[test]
    fn toml_values() {
        let m = parse_toml("listen = \"0.0.0.0:9000\"\nsmtp_pool = 8\n").unwrap();
        assert_eq!(m["listen"], "0.0.0.0:9000");
        assert_eq!(m["smtp_pool"], "8");
    }

    #[test]
    fn site_settings_are_checked() {
        let s = parse_site(
            Some("Новини Полтави"),
            Some("https://news.example"),
            None,
            Some("#C00"),
        )
        .unwrap();
        assert_eq!(s.name, "Новини Полтави");
        assert_eq!(s.url.as_deref(), Some("https://news.example/"));
        assert_eq!(s.accent.as_deref(), Some("#c00"));
        assert!(parse_site(None, Some("javascript:alert(1)"), None, None).is_err());
        assert!(parse_site(None, None, Some("ftp://x/logo.png"), None).is_err());
        assert!(parse_site(None, None, None, Some("red;}body{")).is_err());
        assert!(parse_site(Some("a\nb"), None, None, None).is_err());
        assert_eq!(parse_site(None, None, None, None).unwrap(), Site::default());
        assert_eq!(quoted_name("Kyiv Daily"), "Kyiv Daily");
        assert_eq!(quoted_name("Kyiv \"Daily\", Inc."), "\"Kyiv Daily, Inc.\"");
    }
}
