//! A subscriber's optional display name.

/// At most 256 characters, no control characters. It never appears in the
/// confirmation email (a name field is how spam rides on signups).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberName(String);

impl SubscriberName {
    /// `Ok(None)` for a blank name.
    pub fn parse(raw: &str) -> Result<Option<Self>, &'static str> {
        if super::has_control(raw) {
            return Err("control characters are not allowed");
        }
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if s.chars().count() > 256 {
            return Err("the name is longer than 256 characters");
        }
        Ok(Some(Self(s.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(SubscriberName::parse("  ").unwrap(), None);
        assert_eq!(
            SubscriberName::parse(" Ada ").unwrap().unwrap().as_str(),
            "Ada"
        );
        assert!(SubscriberName::parse("a\nb").is_err());
        assert!(SubscriberName::parse(&"x".repeat(257)).is_err());
    }
}
