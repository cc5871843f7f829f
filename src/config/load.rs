//! Where the values come from: `herald.toml` in the working directory, then
//! the environment, which wins.
//!
//! Loading happens before logging is set up (the log format is itself a
//! setting), so nothing here logs: what the operator should hear about comes
//! back as [`Loaded::warnings`], logged once the subscriber is in place.

use std::collections::BTreeMap;

use anyhow::Context;

use super::parse::parse_toml;
use super::{Config, KEYS};

/// A configuration as loaded, with the warnings about it still to log.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    /// Things worth saying that don't stop the start, such as a setting
    /// shadowed by another.
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads `herald.toml` from the working directory (if present), then the
    /// environment, which wins.
    pub fn load() -> anyhow::Result<Loaded> {
        let path = std::path::Path::new("herald.toml");
        let toml = if path.exists() {
            Some(std::fs::read_to_string(path).context("reading herald.toml")?)
        } else {
            None
        };
        let (values, warnings) = gather(toml.as_deref(), |k| std::env::var(k).ok())?;
        Ok(Loaded {
            config: Config::from_values(&values)?,
            warnings,
        })
    }
}

/// The key/value pairs of `toml` (a `herald.toml`'s text) and of the
/// variables `env` knows, the latter winning, with what is worth a warning.
fn gather(
    toml: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<(BTreeMap<String, String>, Vec<String>)> {
    let mut values = BTreeMap::new();
    let mut warnings = Vec::new();
    if let Some(text) = toml {
        values.extend(parse_toml(text).context("parsing herald.toml")?);
    }
    let generic = env("DATABASE_URL");
    if let Some(v) = &generic {
        values.insert("database_url".to_string(), v.clone());
    }
    for key in KEYS {
        if let Some(v) = env(&format!("HERALD_{}", key.to_uppercase())) {
            values.insert((*key).to_string(), v);
        }
    }
    if let (Some(generic), Some(ours)) = (&generic, env("HERALD_DATABASE_URL")) {
        if *generic != ours {
            warnings.push(
                "both DATABASE_URL and HERALD_DATABASE_URL are set, to different databases: \
                 using HERALD_DATABASE_URL"
                    .to_string(),
            );
        }
    }
    Ok((values, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let toml = "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\nsmtp_pool = 8\n";
        let (v, warnings) = gather(Some(toml), env(&[("HERALD_SMTP_POOL", "2")])).unwrap();
        assert_eq!(v["listen"], "0.0.0.0:9000");
        assert_eq!(v["log_format"], "json");
        assert_eq!(v["smtp_pool"], "2");
        assert!(warnings.is_empty());
        let c = Config::from_values(&v).unwrap();
        assert_eq!(c.log_format, super::super::LogFormat::Json);
    }

    #[test]
    fn a_shadowed_database_url_is_a_warning_not_an_error() {
        let (v, warnings) = gather(
            None,
            env(&[
                ("DATABASE_URL", "postgres://platform/db"),
                ("HERALD_DATABASE_URL", "sqlite://herald.db"),
            ]),
        )
        .unwrap();
        assert_eq!(v["database_url"], "sqlite://herald.db");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("HERALD_DATABASE_URL"), "{warnings:?}");
        // The same database twice, or only one of them: nothing to say.
        let same = env(&[
            ("DATABASE_URL", "sqlite://herald.db"),
            ("HERALD_DATABASE_URL", "sqlite://herald.db"),
        ]);
        assert!(gather(None, same).unwrap().1.is_empty());
        let (v, warnings) = gather(None, env(&[("DATABASE_URL", "sqlite://x.db")])).unwrap();
        assert_eq!(v["database_url"], "sqlite://x.db");
        assert!(warnings.is_empty());
    }
}
