//! Values an admin types, checked where they come in: a newsletter's
//! fields, a subject, a consent note, an idempotency key. Each parse
//! refuses with a stable code and a message, whichever adapter asked.

use super::has_control;

/// A refused value: a stable `code` (`invalid_name`) and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub code: &'static str,
    pub message: String,
}

pub fn refused(code: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        code,
        message: message.into(),
    }
}

/// At most `max` characters and no control characters (but newlines, if
/// `newlines`).
fn text_ok(s: &str, max: usize, newlines: bool) -> bool {
    s.chars().count() <= max
        && !s
            .chars()
            .any(|c| c.is_control() && !(newlines && c == '\n'))
}

/// One line of 1-200 characters, trimmed: `what` names it in the refusal.
fn line(raw: &str, code: &'static str, what: &str) -> Result<String, Refused> {
    let s = raw.trim();
    if s.is_empty() || !text_ok(s, 200, false) {
        return Err(refused(
            code,
            format!("{what} is 1-200 characters with no control characters"),
        ));
    }
    Ok(s.to_string())
}

/// An email subject given by an admin: a digest's own or a newsletter's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    pub fn parse(raw: &str) -> Result<Self, Refused> {
        line(raw, "invalid_subject", "a subject").map(Subject)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An `Idempotency-Key`: 1-200 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, Refused> {
        if raw.is_empty() || raw.len() > 200 || !raw.chars().all(|c| c.is_ascii_graphic()) {
            return Err(refused(
                "invalid_idempotency_key",
                "an Idempotency-Key is 1-200 printable ASCII characters",
            ));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a person consented, when an admin records it for them (GDPR art. 7
/// evidence): required to mark anyone confirmed by hand or by import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentNote(String);

impl ConsentNote {
    /// `missing` is the refusal when there is no note.
    pub fn parse(raw: Option<&str>, missing: &'static str) -> Result<Self, Refused> {
        let note = raw.map(str::trim).unwrap_or_default();
        if note.is_empty() {
            return Err(refused("consent_required", missing));
        }
        if !text_ok(note, 1000, true) {
            return Err(refused(
                "invalid_consent",
                "a consent note is at most 1000 characters with no control characters",
            ));
        }
        Ok(Self(note.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A newsletter's fields besides its slug, each checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewsletterFields {
    pub name: String,
    pub description: String,
    pub from_name: Option<String>,
    pub from_address: Option<String>,
    pub reply_to: Option<String>,
    pub digest_subject: Option<String>,
    pub welcome_subject: Option<String>,
    pub welcome_body: Option<String>,
}

/// The fields as given, before checking.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawNewsletterFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub from_name: Option<&'a str>,
    pub from_address: Option<&'a str>,
    pub reply_to: Option<&'a str>,
    pub digest_subject: Option<&'a str>,
    pub welcome_subject: Option<&'a str>,
    pub welcome_body: Option<&'a str>,
}

impl NewsletterFields {
    pub fn parse(raw: RawNewsletterFields<'_>) -> Result<Self, Refused> {
        let name = line(raw.name, "invalid_name", "a name")?;
        if !text_ok(raw.description, 2000, true) {
            return Err(refused(
                "invalid_description",
                "a description is at most 2000 characters with no control characters",
            ));
        }
        if let Some(n) = raw.from_name {
            if !text_ok(n, 200, false) {
                return Err(refused(
                    "invalid_from_name",
                    "a sender name is at most 200 characters with no control characters",
                ));
            }
        }
        for (field, value) in [
            ("from_address", raw.from_address),
            ("reply_to", raw.reply_to),
        ] {
            if value.is_some_and(|a| has_control(a) || a.parse::<lettre::Address>().is_err()) {
                return Err(refused(
                    "invalid_address",
                    format!("`{field}` is not an email address"),
                ));
            }
        }
        let digest_subject = raw
            .digest_subject
            .map(|s| line(s, "invalid_digest_subject", "a digest subject"))
            .transpose()?;
        let welcome_subject = raw
            .welcome_subject
            .map(|s| line(s, "invalid_welcome_subject", "a welcome subject"))
            .transpose()?;
        if let Some(b) = raw.welcome_body {
            if b.trim().is_empty() || !text_ok(b, 20_000, true) {
                return Err(refused(
                    "invalid_welcome_body",
                    "a welcome body is 1-20000 characters of Markdown with no control characters",
                ));
            }
        }
        if welcome_subject.is_some() != raw.welcome_body.is_some() {
            return Err(refused(
                "invalid_welcome",
                "a welcome email needs both `welcome_subject` and `welcome_body`",
            ));
        }
        if raw.from_name.is_some() && raw.from_address.is_none() {
            return Err(refused(
                "invalid_address",
                "a sender name needs a `from_address`",
            ));
        }
        Ok(NewsletterFields {
            name,
            description: raw.description.trim().to_string(),
            from_name: raw.from_name.map(str::to_string),
            from_address: raw.from_address.map(str::to_string),
            reply_to: raw.reply_to.map(str::to_string),
            digest_subject,
            welcome_subject,
            welcome_body: raw.welcome_body.map(|b| b.replace("\r\n", "\n")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_checked_with_stable_codes() {
        let ok = RawNewsletterFields {
            name: " Daily ",
            description: "Every day\nat seven",
            ..Default::default()
        };
        assert_eq!(NewsletterFields::parse(ok).unwrap().name, "Daily");
        let code = |raw| NewsletterFields::parse(raw).unwrap_err().code;
        assert_eq!(
            code(RawNewsletterFields { name: " ", ..ok }),
            "invalid_name"
        );
        assert_eq!(
            code(RawNewsletterFields {
                from_name: Some("Desk"),
                ..ok
            }),
            "invalid_address"
        );
        assert_eq!(
            code(RawNewsletterFields {
                reply_to: Some("nope"),
                ..ok
            }),
            "invalid_address"
        );
        assert_eq!(
            code(RawNewsletterFields {
                digest_subject: Some("a\u{7}"),
                ..ok
            }),
            "invalid_digest_subject"
        );
        assert!(Subject::parse(&"x".repeat(201)).is_err());
        assert!(IdempotencyKey::parse("a b").is_err() && IdempotencyKey::parse("k-1").is_ok());
        assert_eq!(
            ConsentNote::parse(Some(" "), "say how").unwrap_err().code,
            "consent_required"
        );
        assert_eq!(
            ConsentNote::parse(Some(" fair "), "say how").map(|n| n.0),
            Ok("fair".to_string())
        );
    }
}
