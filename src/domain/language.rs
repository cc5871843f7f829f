//! The languages Herald ships catalogs for, and choosing one from a
//! browser's `Accept-Language`.

use serde::{Deserialize, Serialize};

use super::{refused, Refused};

/// A shipped language. Each has a catalog in `locales/<code>/herald.ftl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Uk,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::En, Language::Uk];

    /// The ISO 639-1 code, as used in `lang` attributes and the API.
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Uk => "uk",
        }
    }

    /// `en` or `uk` (any case); anything else is refused with
    /// `invalid_language`.
    pub fn parse(raw: &str) -> Result<Self, Refused> {
        let code = raw.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|l| l.code() == code)
            .ok_or_else(|| {
                refused(
                    "invalid_language",
                    format!(
                        "`language` is one of: {}",
                        Self::ALL.map(Language::code).join(", ")
                    ),
                )
            })
    }

    /// The first shipped language the header asks for, by preference
    /// (`uk-UA,uk;q=0.9,en;q=0.8` → `uk`); `fallback` when none is.
    pub fn negotiate(accept_language: Option<&str>, fallback: Language) -> Language {
        let Some(header) = accept_language else {
            return fallback;
        };
        let requested = fluent_langneg::accepted_languages::parse(header);
        requested
            .iter()
            .find_map(|id| {
                Self::ALL
                    .into_iter()
                    .find(|l| id.language.as_str().eq_ignore_ascii_case(l.code()))
            })
            .unwrap_or(fallback)
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shipped_codes_only() {
        assert_eq!(Language::parse(" UK ").unwrap(), Language::Uk);
        assert_eq!(Language::parse("en").unwrap(), Language::En);
        assert_eq!(Language::parse("ru").unwrap_err().code, "invalid_language");
        assert!(Language::parse("").is_err());
    }

    #[test]
    fn accept_language_picks_the_first_shipped_one() {
        let n = |h| Language::negotiate(Some(h), Language::En);
        assert_eq!(n("uk-UA,uk;q=0.9,en;q=0.8"), Language::Uk);
        assert_eq!(n("de-DE,de;q=0.9,uk;q=0.5,en;q=0.4"), Language::Uk);
        assert_eq!(n("en-GB,uk;q=0.9"), Language::En);
        assert_eq!(n("fr"), Language::En);
        assert_eq!(n(""), Language::En);
        assert_eq!(Language::negotiate(None, Language::Uk), Language::Uk);
        assert_eq!(
            Language::negotiate(Some("ru,en;q=0.1"), Language::Uk),
            Language::En
        );
    }
}
