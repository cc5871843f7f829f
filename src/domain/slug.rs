//! A newsletter's URL name.

use std::fmt;

/// 1–64 characters of `a-z`, `0-9` and `-`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NewsletterSlug(String);

impl NewsletterSlug {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let ok_len = !raw.is_empty() && raw.len() <= 64;
        let ok_chars = raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok_len || !ok_chars || raw.starts_with('-') {
            return Err("a slug is 1-64 characters of a-z, 0-9 and '-', not starting with '-'");
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NewsletterSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(NewsletterSlug::parse("daily-briefing-2").is_ok());
        for bad in ["", "-x", "Daily", "a b", "a/b", &"a".repeat(65)] {
            assert!(NewsletterSlug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
