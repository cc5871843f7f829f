//! Message catalogs: every reader-facing string, in Fluent files per
//! language (`locales/<code>/herald.ftl`, compiled in). A deployment
//! overrides messages with `locales/<code>/herald.ftl` in
//! `HERALD_TEMPLATES_DIR`: its messages replace the built-in ones of the
//! same id, and the rest stay.

mod dates;

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use crate::domain::Language;

pub use dates::Clock;

const BUILTIN: &[(Language, &str)] = &[
    (Language::En, include_str!("../../locales/en/herald.ftl")),
    (Language::Uk, include_str!("../../locales/uk/herald.ftl")),
];

/// Every shipped language's messages. Cheap to share behind an `Arc`.
pub struct Catalogs {
    bundles: Vec<(Language, FluentBundle<FluentResource>)>,
}

impl std::fmt::Debug for Catalogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalogs").finish_non_exhaustive()
    }
}

fn parse(source: String, what: &str) -> anyhow::Result<FluentResource> {
    FluentResource::try_new(source).map_err(|(_, errors)| {
        anyhow!(
            "{what}: {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })
}

impl Catalogs {
    /// The built-in catalogs, each overlaid with the deployment's file when
    /// there is one. A file that doesn't parse stops the start.
    pub fn load(override_dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut bundles = Vec::new();
        for (lang, source) in BUILTIN {
            let id: unic_langid::LanguageIdentifier = lang.code().parse()?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // No Unicode isolation marks around arguments: they would end
            // up in subjects and plain-text bodies.
            bundle.set_use_isolating(false);
            let builtin = parse((*source).to_string(), &format!("built-in catalog {lang}"))?;
            if let Err(e) = bundle.add_resource(builtin) {
                bail!("built-in catalog {lang}: {e:?}");
            }
            if let Some(dir) = override_dir {
                let path = dir.join("locales").join(lang.code()).join("herald.ftl");
                if path.is_file() {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    bundle.add_resource_overriding(parse(text, &path.display().to_string())?);
                }
            }
            bundles.push((*lang, bundle));
        }
        Ok(Self { bundles })
    }

    fn bundle(&self, lang: Language) -> &FluentBundle<FluentResource> {
        &self
            .bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .unwrap_or(&self.bundles[0])
            .1
    }

    /// The message `key` in `lang`, with `args` filled in. A key missing
    /// from `lang` falls back to English, then to the key itself, so a
    /// partial override never blanks a page.
    pub fn text(&self, lang: Language, key: &str, args: Option<&FluentArgs>) -> String {
        for bundle in [self.bundle(lang), self.bundle(Language::En)] {
            let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            let out = bundle.format_pattern(pattern, args, &mut errors);
            if !errors.is_empty() {
                tracing::warn!(
                    key,
                    lang = lang.code(),
                    ?errors,
                    "message formatted with errors"
                );
            }
            return out.into_owned();
        }
        tracing::warn!(key, lang = lang.code(), "no such message");
        key.to_string()
    }

    /// `text` with `name = value` pairs.
    pub fn text_with(&self, lang: Language, key: &str, args: &[(&str, FluentValue)]) -> String {
        let mut a = FluentArgs::new();
        for (k, v) in args {
            a.set(*k, v.clone());
        }
        self.text(lang, key, Some(&a))
    }

    /// Whether `lang`'s own catalog (not the English fallback) has `key`.
    pub fn has(&self, lang: Language, key: &str) -> bool {
        self.bundle(lang).has_message(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    #[test]
    fn every_language_has_every_message() {
        let c = Catalogs::load(None).unwrap();
        let en = ids(BUILTIN[0].1);
        assert!(en.len() > 50, "{}", en.len());
        for (lang, source) in BUILTIN {
            for key in &en {
                assert!(c.has(*lang, key), "{lang} lacks `{key}`");
            }
            assert_eq!(ids(source).len(), en.len(), "{lang} has extra messages");
        }
    }

    #[test]
    fn plurals_and_fallbacks() {
        let c = Catalogs::load(None).unwrap();
        let hours = |lang, n: i64| c.text_with(lang, "duration-hours", &[("count", n.into())]);
        assert_eq!(hours(Language::En, 1), "1 hour");
        assert_eq!(hours(Language::En, 48), "48 hours");
        assert_eq!(hours(Language::Uk, 1), "1 годину");
        assert_eq!(hours(Language::Uk, 3), "3 години");
        assert_eq!(hours(Language::Uk, 48), "48 годин");
        assert_eq!(c.text(Language::Uk, "no-such-key", None), "no-such-key");
    }

    #[test]
    fn an_override_replaces_one_message_and_keeps_the_rest() {
        let dir = std::env::temp_dir().join(format!("herald-ftl-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("locales/uk")).unwrap();
        std::fs::write(
            dir.join("locales/uk/herald.ftl"),
            "signup-label = Ваша пошта\n",
        )
        .unwrap();
        let c = Catalogs::load(Some(&dir)).unwrap();
        assert_eq!(c.text(Language::Uk, "signup-label", None), "Ваша пошта");
        assert_ne!(c.text(Language::Uk, "signup-button", None), "signup-button");
        std::fs::write(dir.join("locales/uk/herald.ftl"), "broken = {\n").unwrap();
        assert!(Catalogs::load(Some(&dir)).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
