//! Loading: the sources (`sources.rs`) read into a [`Config`], with what
//! the operator should hear about.
//!
//! Loading happens before logging is set up (the log format is itself a
//! setting), so nothing here logs: warnings come back as
//! [`Loaded::warnings`], logged once the subscriber is in place.

use std::collections::BTreeMap;
use std::path::Path;

use super::sources::{environment, gather, unknown_variables};
use super::Config;

/// A configuration as loaded, with the warnings about it still to log.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    /// Things worth saying that don't stop the start: a setting shadowed
    /// by another, a `HERALD_` variable that is no setting (a typo).
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads the TOML file (`file`, from `--config` or `HERALD_CONFIG`, or
    /// else `./herald.toml` if present), then the environment, which wins.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Loaded> {
        let env = environment();
        let values = gather(file, &env)?;
        Ok(Loaded {
            config: Config::from_values(&values)?,
            warnings: warnings(&env),
        })
    }
}

/// What the environment `env` has that is worth a warning.
fn warnings(env: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(generic), Some(ours)) = (env.get("DATABASE_URL"), env.get("HERALD_DATABASE_URL")) {
        if generic != ours {
            out.push(
                "both DATABASE_URL and HERALD_DATABASE_URL are set, to different databases: \
                 using HERALD_DATABASE_URL"
                    .to_string(),
            );
        }
    }
    if env.contains_key("DATABASE_URL") && env.contains_key("HERALD_DATABASE_URL_FILE") {
        out.push(
            "both DATABASE_URL and HERALD_DATABASE_URL_FILE are set: using HERALD_DATABASE_URL_FILE"
                .to_string(),
        );
    }
    for (name, guess) in unknown_variables(env.keys().map(String::as_str)) {
        out.push(match guess {
            Some(known) => {
                format!("unknown environment variable {name} ignored (did you mean {known}?)")
            }
            None => format!("unknown environment variable {name} ignored"),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_shadowed_database_url_is_a_warning_not_an_error() {
        let w = warnings(&env(&[
            ("DATABASE_URL", "postgres://platform/db"),
            ("HERALD_DATABASE_URL", "sqlite://herald.db"),
        ]));
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("HERALD_DATABASE_URL"), "{w:?}");
        let v = gather(
            None,
            &env(&[
                ("DATABASE_URL", "postgres://platform/db"),
                ("HERALD_DATABASE_URL", "sqlite://herald.db"),
            ]),
        )
        .unwrap();
        assert_eq!(v["database_url"], "sqlite://herald.db");
        // The same database twice, or only one of them: nothing to say.
        let same = env(&[
            ("DATABASE_URL", "sqlite://x.db"),
            ("HERALD_DATABASE_URL", "sqlite://x.db"),
        ]);
        assert!(warnings(&same).is_empty());
        assert!(warnings(&env(&[("DATABASE_URL", "sqlite://x.db")])).is_empty());
        let file = env(&[
            ("DATABASE_URL", "sqlite://x.db"),
            ("HERALD_DATABASE_URL_FILE", "/run/secrets/db"),
        ]);
        assert_eq!(warnings(&file).len(), 1);
    }

    #[test]
    fn a_typo_is_named_with_its_likely_meaning() {
        let w = warnings(&env(&[
            ("HERALD_SMTP_URLL", "smtp://x"),
            ("HERALD_LOG_FORMAT", "json"),
        ]));
        assert_eq!(w, vec!["unknown environment variable HERALD_SMTP_URLL ignored (did you mean HERALD_SMTP_URL?)"]);
    }
}
