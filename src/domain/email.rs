//! A subscriber's address, checked against RFC 5321's limits and our policy.

use std::fmt;

use validator::ValidateEmail;

/// A normalised address: trimmed, lower-cased, domain as an IDNA A-label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriberEmail(String);

/// Why an address was refused (for logs and tests; users see one message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("empty address")]
    Empty,
    #[error("control characters are not allowed")]
    Control,
    #[error("missing @")]
    NoAt,
    #[error("local part longer than 64 octets")]
    LocalTooLong,
    #[error("non-ASCII local part")]
    NonAsciiLocal,
    #[error("address longer than 254 octets")]
    TooLong,
    #[error("IP literals are not accepted")]
    IpLiteral,
    #[error("invalid domain")]
    BadDomain,
    #[error("the domain needs a dot")]
    NoDot,
    #[error("invalid address syntax")]
    Syntax,
}

impl SubscriberEmail {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        if super::has_control(raw) {
            return Err(EmailError::Control);
        }
        let s = raw.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError::NoAt)?;
        if local.is_empty() {
            return Err(EmailError::Syntax);
        }
        if !local.is_ascii() {
            return Err(EmailError::NonAsciiLocal);
        }
        if local.len() > 64 {
            return Err(EmailError::LocalTooLong);
        }
        if domain.starts_with('[') || domain.parse::<std::net::IpAddr>().is_ok() {
            return Err(EmailError::IpLiteral);
        }
        let ascii = idna::domain_to_ascii(domain).map_err(|_| EmailError::BadDomain)?;
        if ascii.is_empty() || ascii.len() > 253 {
            return Err(EmailError::BadDomain);
        }
        if !ascii.contains('.') {
            return Err(EmailError::NoDot);
        }
        let labels: Vec<&str> = ascii.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if !labels.iter().all(label_ok) {
            return Err(EmailError::BadDomain);
        }
        // A dotted all-numeric name (1.2.3.4 in disguise) or a numeric top-level label.
        if labels
            .last()
            .is_some_and(|t| t.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(EmailError::IpLiteral);
        }
        let normalised = format!("{}@{}", local.to_ascii_lowercase(), ascii);
        if normalised.len() > 254 {
            return Err(EmailError::TooLong);
        }
        if !normalised.validate_email() {
            return Err(EmailError::Syntax);
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SubscriberEmail {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubscriberEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_and_international_domains() {
        assert_eq!(
            SubscriberEmail::parse("  Ada@Example.COM ")
                .unwrap()
                .as_str(),
            "ada@example.com"
        );
        assert_eq!(
            SubscriberEmail::parse("user@bücher.example")
                .unwrap()
                .as_str(),
            "user@xn--bcher-kva.example"
        );
        assert!(SubscriberEmail::parse("first.last+tag@sub.example.org").is_ok());
    }

    #[test]
    fn refuses_what_rfc_5321_and_policy_refuse() {
        use EmailError::*;
        let cases = [
            ("", Empty),
            ("plainaddress", NoAt),
            ("@example.com", Syntax),
            ("abc@bar", NoDot),
            ("a@127.0.0.1", IpLiteral),
            ("a@[127.0.0.1]", IpLiteral),
            ("a@[IPv6:::1]", IpLiteral),
            ("jörg@example.com", NonAsciiLocal),
            ("a\r\nbcc: x@example.com", Control),
            ("a@exa mple.com", BadDomain),
            ("a@-example.com", BadDomain),
            ("a@example..com", BadDomain),
        ];
        for (input, want) in cases {
            assert_eq!(SubscriberEmail::parse(input), Err(want), "{input:?}");
        }
        let local65 = format!("{}@example.com", "a".repeat(65));
        assert_eq!(SubscriberEmail::parse(&local65), Err(LocalTooLong));
        let local64 = format!("{}@example.com", "a".repeat(64));
        assert!(SubscriberEmail::parse(&local64).is_ok());
    }

    #[test]
    fn total_length_is_254_octets() {
        // 64 + 1 + 189 = 254 octets: the longest accepted address.
        let domain = format!(
            "{}.{}.{}.com",
            "d".repeat(63),
            "e".repeat(63),
            "f".repeat(57)
        );
        let ok = format!("{}@{}", "a".repeat(64), domain);
        assert_eq!(ok.len(), 254);
        assert!(SubscriberEmail::parse(&ok).is_ok());
        let long = format!(
            "{}@{}.{}.{}.com",
            "a".repeat(64),
            "d".repeat(63),
            "e".repeat(63),
            "f".repeat(58)
        );
        assert_eq!(long.len(), 255);
        assert_eq!(SubscriberEmail::parse(&long), Err(EmailError::TooLong));
    }
}
