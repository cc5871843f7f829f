//! minijinja templates: the defaults are compiled into the binary, and a file
//! of the same relative path in `HERALD_TEMPLATES_DIR` overrides one.
//!
//! Text comes from the message catalogs: `{{ t("key", name=value) }}` in
//! the language of the context's `lang` (else `HERALD_LANGUAGE`), and the
//! filters `date` and `datetime` show a timestamp in `HERALD_TIMEZONE`.

use std::path::PathBuf;
use std::sync::Arc;

use fluent_bundle::{FluentArgs, FluentValue};
use minijinja::value::{Kwargs, Serde};
use minijinja::{Environment, State, Value};
use serde::Serialize;

use super::builtin::BUILTIN;
use crate::config::{Config, Site};
use crate::domain::Language;
use crate::i18n::{Catalogs, Clock};

/// What every rendering shares: the override folder, the publication, its
/// default language and time zone.
#[derive(Debug, Clone)]
pub struct Look {
    pub dir: Option<PathBuf>,
    pub site: Site,
    pub language: Language,
    pub zone: chrono_tz::Tz,
}

impl Look {
    pub fn from_config(c: &Config) -> Self {
        Self {
            dir: c.templates_dir.clone(),
            site: c.site.clone(),
            language: c.language,
            zone: c.timezone,
        }
    }

    /// The defaults of an unconfigured install (for unit tests).
    pub fn builtin() -> Self {
        Self {
            dir: None,
            site: Site::default(),
            language: Language::En,
            zone: chrono_tz::Tz::UTC,
        }
    }
}

/// The language a template renders in: its context's `lang`, else the default.
fn lang_of(state: &State, default: Language) -> Language {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(|s| Language::parse(s).ok()))
        .unwrap_or(default)
}

fn fluent_value(v: Value) -> FluentValue<'static> {
    if let Ok(n) = i64::try_from(v.clone()) {
        return FluentValue::from(n);
    }
    if let Ok(f) = f64::try_from(v.clone()) {
        return FluentValue::from(f);
    }
    FluentValue::from(
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string()),
    )
}

/// A rendered email, before it becomes a MIME message.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Shared, cheap to clone. Autoescaping is on for `.html` files; `.js`
/// files write every `{{ value }}` as a JSON literal.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
    catalogs: Arc<Catalogs>,
    look: Arc<Look>,
}

impl Templates {
    /// Checks at start that every template (built-in or overridden) parses,
    /// so a broken override fails the start rather than a signup.
    pub fn new(look: Look) -> anyhow::Result<Self> {
        let catalogs = Arc::new(Catalogs::load(look.dir.as_deref())?);
        let override_dir = look.dir.clone();
        let mut env = Environment::new();
        env.set_loader(move |name| {
            if let Some(dir) = &override_dir {
                let safe = !name.split('/').any(|part| part == ".." || part.is_empty());
                let path = dir.join(name);
                if safe && path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read {}: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, src)| (*src).to_string()))
        });
        env.add_global("site_name", look.site.name.clone());
        env.add_global("default_lang", look.language.code());
        env.add_global("site", Value::from(Serde(&look.site)));
        let (cats, default) = (catalogs.clone(), look.language);
        env.add_function(
            "t",
            move |state: &State, key: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
                let mut args = FluentArgs::new();
                for name in kwargs.args() {
                    args.set(name.to_string(), fluent_value(kwargs.get::<Value>(name)?));
                }
                Ok(cats.text(lang_of(state, default), key, Some(&args)))
            },
        );
        for (filter, with_time) in [("date", false), ("datetime", true)] {
            let (cats, clock) = (catalogs.clone(), Clock { zone: look.zone });
            env.add_filter(filter, move |state: &State, at: Value| -> String {
                let raw = at
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| at.to_string());
                clock
                    .format_str(&cats, lang_of(state, default), &raw, with_time)
                    .unwrap_or(raw)
            });
        }
        // Escape what HTML needs (& < > " '), but leave `/` alone, so links
        // stay readable in mail sources and spam filters' eyes.
        env.set_formatter(|out, state, value| {
            if matches!(state.auto_escape(), minijinja::AutoEscape::Html) && !value.is_safe() {
                if let Some(s) = value.as_str() {
                    return out
                        .write_str(&html_escape::encode_quoted_attribute(s))
                        .map_err(minijinja::Error::from);
                }
            }
            minijinja::escape_formatter(out, state, value)
        });
        for (name, _) in BUILTIN {
            env.get_template(name)
                .map_err(|e| anyhow::anyhow!("template {name}: {e:#}"))?;
        }
        Ok(Self {
            env: Arc::new(env),
            catalogs,
            look: Arc::new(look),
        })
    }

    /// The catalogs, for text rendered outside a template.
    pub fn catalogs(&self) -> &Catalogs {
        &self.catalogs
    }

    pub fn look(&self) -> &Look {
        &self.look
    }

    /// One message in `lang`.
    pub fn text(&self, lang: Language, key: &str) -> String {
        self.catalogs.text(lang, key, None)
    }

    pub fn render(&self, name: &str, ctx: impl Serialize) -> anyhow::Result<String> {
        let tmpl = self.env.get_template(name)?;
        Ok(tmpl.render(Value::from(Serde(ctx)))?)
    }

    /// Renders `email/<name>/{subject.txt,body.txt,body.html}`.
    pub fn render_email(&self, name: &str, ctx: impl Serialize) -> anyhow::Result<RenderedEmail> {
        let ctx = Value::from(Serde(ctx));
        let subject = self.render(&format!("email/{name}/subject.txt"), &ctx)?;
        Ok(RenderedEmail {
            // One line: a template can't smuggle a second header in.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: self.render(&format!("email/{name}/body.txt"), &ctx)?,
            html: self.render(&format!("email/{name}/body.html"), &ctx)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_confirmation_has_link_and_no_markup_leaks() {
        let t = Templates::new(Look::builtin()).unwrap();
        let e = t
            .render_email(
                "confirm",
                json!({"newsletters": [{"name": "Daily <b>"}], "confirm_url": "http://x/c?token=abc", "expires_in": "48 hours"}),
            )
            .unwrap();
        assert!(e.subject.contains("Daily <b>"), "{}", e.subject);
        assert!(e.text.contains("http://x/c?token=abc"));
        assert!(e.html.contains("Daily &lt;b&gt;"));
        assert!(!e.html.contains("Daily <b>"));
    }

    #[test]
    fn override_folder_wins() {
        let dir = std::env::temp_dir().join(format!("herald-tmpl-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("email/confirm")).unwrap();
        std::fs::write(
            dir.join("email/confirm/subject.txt"),
            "Custom {{ expires_in }}",
        )
        .unwrap();
        let t = Templates::new(Look {
            dir: Some(dir.clone()),
            ..Look::builtin()
        })
        .unwrap();
        let e = t
            .render_email(
                "confirm",
                json!({"newsletters": [{"name": "D"}], "confirm_url": "u", "expires_in": "1 hour"}),
            )
            .unwrap();
        assert_eq!(e.subject, "Custom 1 hour");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
