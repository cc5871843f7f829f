//! Where the values come from: a TOML file (`./herald.toml`, or the one
//! `--config`/`HERALD_CONFIG` names), then the environment, which wins.
//! Secrets may come from files (`HERALD_ADMIN_TOKEN_FILE=/run/secrets/…`),
//! as Docker and Kubernetes secrets are mounted, and a `HERALD_` variable
//! that is no setting is reported, since a typo there is otherwise silent.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};

use super::parse::parse_toml;
use super::KEYS;

/// The keys that hold secrets: each may instead be read from a file named
/// by `HERALD_<KEY>_FILE` (or `<key>_file` in the TOML file).
pub const SECRET_KEYS: &[&str] = &[
    "database_url",
    "smtp_url",
    "admin_token",
    "webhook_password",
];

/// `HERALD_` variables that are Herald's but no key of [`KEYS`].
const OTHER_VARIABLES: &[&str] = &["HERALD_CONFIG"];

/// The file read when none is named, if it exists.
const DEFAULT_FILE: &str = "herald.toml";

/// Gathers the values of every source, lower-case keys as in [`KEYS`]:
/// the TOML file first, then `DATABASE_URL`, then `HERALD_*` (`env` is
/// the environment). `file` is the path given with `--config` or
/// `HERALD_CONFIG`; a named file that is missing is an error, while a
/// missing `./herald.toml` is not.
pub fn gather(
    file: Option<&Path>,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    let (path, named) = match file {
        Some(p) => (p, true),
        None => (Path::new(DEFAULT_FILE), false),
    };
    if named || path.exists() {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {shown}"))?;
        let mut table = parse_toml(&text).with_context(|| format!("parsing {shown}"))?;
        for key in SECRET_KEYS {
            let file_key = format!("{key}_file");
            if let Some(secret) = table.remove(&file_key).filter(|v| !v.trim().is_empty()) {
                if table.get(*key).is_some_and(|v| !v.trim().is_empty()) {
                    bail!("{shown} sets both `{key}` and `{file_key}`; keep one");
                }
                let value =
                    read_secret(&secret).with_context(|| format!("`{file_key}` in {shown}"))?;
                table.insert((*key).to_string(), value);
            }
        }
        values.extend(table);
    }
    if let Some(v) = env.get("DATABASE_URL") {
        values.insert("database_url".to_string(), v.clone());
    }
    for key in KEYS {
        let name = format!("HERALD_{}", key.to_uppercase());
        let direct = env.get(&name).filter(|v| !v.is_empty());
        let from_file = if SECRET_KEYS.contains(key) {
            env.get(&format!("{name}_FILE")).filter(|v| !v.is_empty())
        } else {
            None
        };
        match (direct, from_file) {
            (Some(_), Some(_)) => {
                bail!("both {name} and {name}_FILE are set; set only one of them")
            }
            (Some(v), None) => {
                values.insert((*key).to_string(), v.clone());
            }
            (None, Some(path)) => {
                let value = read_secret(path).with_context(|| format!("{name}_FILE"))?;
                values.insert((*key).to_string(), value);
            }
            // An empty variable still overrides the file (it means "unset").
            (None, None) => {
                if let Some(v) = env.get(&name) {
                    values.insert((*key).to_string(), v.clone());
                }
            }
        }
    }
    Ok(values)
}

/// A secret's file, its trailing newline trimmed (editors and `echo` add
/// one). The error names the path, never the content.
fn read_secret(path: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.trim().is_empty() {
        bail!("{path} is empty");
    }
    Ok(value.to_string())
}

/// The process environment as text (variables that aren't UTF-8 can't be
/// Herald's settings and are left out).
pub fn environment() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// Every `HERALD_` variable in `names` that Herald doesn't read, each with
/// the known name it most likely misspells, if one is close.
pub fn unknown_variables<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Vec<(String, Option<String>)> {
    let known = known_variables();
    names
        .into_iter()
        .filter(|n| n.starts_with("HERALD_") && !known.iter().any(|k| k == n))
        .map(|n| {
            // `HERALD_LISTEN_FILE`: only secrets are read from files.
            let unfiled = n
                .strip_suffix("_FILE")
                .filter(|s| known.iter().any(|k| k == s));
            let guess = unfiled.map(str::to_string).or_else(|| {
                known
                    .iter()
                    .map(|k| (strsim::levenshtein(n, k), k))
                    .filter(|(d, _)| *d <= 3)
                    .min()
                    .map(|(_, k)| k.clone())
            });
            (n.to_string(), guess)
        })
        .collect()
}

fn known_variables() -> Vec<String> {
    let keys = KEYS.iter().map(|k| format!("HERALD_{}", k.to_uppercase()));
    let files = SECRET_KEYS
        .iter()
        .map(|k| format!("HERALD_{}_FILE", k.to_uppercase()));
    let others = OTHER_VARIABLES.iter().map(|v| v.to_string());
    keys.chain(files).chain(others).collect()
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

    fn scratch() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "herald-config-{}",
            crate::domain::token::generate()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_named_file_is_read_and_the_environment_wins() {
        let dir = scratch();
        let file = dir.join("prod.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nsite_name = \"Daily\"\n").unwrap();
        let v = gather(Some(&file), &env(&[("HERALD_SITE_NAME", "Nightly")])).unwrap();
        assert_eq!(v["listen"], "0.0.0.0:9000");
        assert_eq!(v["site_name"], "Nightly");
        let missing = dir.join("nope.toml");
        let e = format!("{:#}", gather(Some(&missing), &env(&[])).unwrap_err());
        assert!(e.contains("nope.toml"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn secrets_come_from_files() {
        let dir = scratch();
        let token = dir.join("token");
        std::fs::write(&token, format!("{}\n", "t".repeat(40))).unwrap();
        let db = dir.join("db");
        std::fs::write(&db, "postgres://u:p@db/herald\r\n").unwrap();
        let t = token.to_str().unwrap();
        let v = gather(
            None,
            &env(&[
                ("HERALD_ADMIN_TOKEN_FILE", t),
                ("HERALD_DATABASE_URL_FILE", db.to_str().unwrap()),
                ("DATABASE_URL", "sqlite://other.db"),
            ]),
        )
        .unwrap();
        assert_eq!(v["admin_token"], "t".repeat(40));
        assert_eq!(v["database_url"], "postgres://u:p@db/herald");

        let both = env(&[("HERALD_ADMIN_TOKEN", "x"), ("HERALD_ADMIN_TOKEN_FILE", t)]);
        let e = gather(None, &both).unwrap_err().to_string();
        assert!(
            e.contains("HERALD_ADMIN_TOKEN and HERALD_ADMIN_TOKEN_FILE"),
            "{e}"
        );

        let gone = env(&[("HERALD_SMTP_URL_FILE", "/nonexistent/smtp")]);
        let e = format!("{:#}", gather(None, &gone).unwrap_err());
        assert!(
            e.contains("HERALD_SMTP_URL_FILE") && e.contains("/nonexistent/smtp"),
            "{e}"
        );
        std::fs::write(&token, "\n").unwrap();
        let e = format!(
            "{:#}",
            gather(None, &env(&[("HERALD_ADMIN_TOKEN_FILE", t)])).unwrap_err()
        );
        assert!(e.contains("is empty"), "{e}");

        let file = dir.join("herald.toml");
        std::fs::write(&file, format!("smtp_url_file = \"{}\"\n", db.display())).unwrap();
        let v = gather(Some(&file), &env(&[])).unwrap();
        assert_eq!(v["smtp_url"], "postgres://u:p@db/herald");
        std::fs::write(
            &file,
            format!(
                "smtp_url = \"smtp://x\"\nsmtp_url_file = \"{}\"\n",
                db.display()
            ),
        )
        .unwrap();
        let e = gather(Some(&file), &env(&[])).unwrap_err().to_string();
        assert!(e.contains("`smtp_url` and `smtp_url_file`"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// herald.example.toml names every key once, as `# key = default`:
    /// uncommented, it must give exactly the built-in defaults.
    #[test]
    fn the_example_file_lists_every_key_with_its_default() {
        let text = include_str!("../../herald.example.toml");
        let file_keys: Vec<String> = SECRET_KEYS.iter().map(|k| format!("{k}_file")).collect();
        let mut seen = Vec::new();
        let uncommented: String = text
            .lines()
            .map(|line| {
                let setting = line
                    .strip_prefix("# ")
                    .and_then(|rest| rest.split_once(" = "))
                    .filter(|(k, _)| KEYS.contains(k) || file_keys.iter().any(|f| f == k));
                match setting {
                    Some((key, _)) => {
                        seen.push(key.to_string());
                        format!("{}\n", &line[2..])
                    }
                    None => format!("{line}\n"),
                }
            })
            .collect();
        for key in KEYS.iter().map(|k| k.to_string()).chain(file_keys) {
            let n = seen.iter().filter(|s| **s == key).count();
            assert_eq!(n, 1, "`{key}` is in herald.example.toml {n} times");
        }
        let dir = scratch();
        let file = dir.join("example.toml");
        std::fs::write(&file, uncommented).unwrap();
        let values = gather(Some(&file), &env(&[])).unwrap();
        let example = super::super::Config::from_values(&values).unwrap();
        let defaults = super::super::Config::from_values(&BTreeMap::new()).unwrap();
        assert_eq!(format!("{example:?}"), format!("{defaults:?}"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// docs/configuration.md has a row for every variable.
    #[test]
    fn the_configuration_reference_names_every_variable() {
        let doc = include_str!("../../docs/configuration.md");
        for name in known_variables() {
            assert!(
                doc.contains(&format!("`{name}`")),
                "{name} is not in docs/configuration.md"
            );
        }
    }

    #[test]
    fn unknown_variables_are_named_with_a_guess() {
        let names = [
            "HERALD_SMTP_URL",
            "HERALD_ADMIN_TOKEN_FILE",
            "HERALD_CONFIG",
            "HERALD_LOG_FORMAT",
            "HERALD_SMPT_URL",
            "HERALD_LISTEN_FILE",
            "HERALD_COMPLETELY_DIFFERENT",
            "PATH",
            "DATABASE_URL",
        ];
        let unknown = unknown_variables(names);
        assert_eq!(
            unknown,
            vec![
                (
                    "HERALD_SMPT_URL".to_string(),
                    Some("HERALD_SMTP_URL".to_string())
                ),
                (
                    "HERALD_LISTEN_FILE".to_string(),
                    Some("HERALD_LISTEN".to_string())
                ),
                ("HERALD_COMPLETELY_DIFFERENT".to_string(), None),
            ]
        );
    }
}
