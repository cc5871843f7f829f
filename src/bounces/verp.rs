//! VERP (variable envelope return path): each subscriber email's envelope
//! sender is `bounces+{token}@{domain}`, where the token names the queued
//! message it was sent for and is signed, so a bounce that comes back names
//! its delivery and a forged one names nothing.
//!
//! The token is `{id in hex}-{first 10 bytes of HMAC-SHA256, hex}`: lower
//! case only (mail systems may fold a local part's case), short (about 30
//! characters) and without the recipient's address.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The local part before the `+`.
pub const LOCAL: &str = "bounces";

/// Bytes of the MAC kept: 80 bits.
const MAC_LEN: usize = 10;

/// What an address at a bounce listener stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressed {
    /// Another domain: not ours to take.
    Foreign,
    /// Ours, naming no message: another local part, a forged or damaged
    /// token.
    Unsigned,
    /// A well-signed token for this queued message.
    Message(i64),
}

impl Addressed {
    pub fn message(self) -> Option<i64> {
        match self {
            Addressed::Message(id) => Some(id),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct Verp {
    key: Vec<u8>,
    domain: String,
}

impl std::fmt::Debug for Verp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verp")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

impl Verp {
    pub fn new(key: Vec<u8>, domain: &str) -> Self {
        Self {
            key,
            domain: domain.trim().to_ascii_lowercase(),
        }
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    fn mac(&self, id: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(b"verp:");
        mac.update(&id.to_be_bytes());
        mac
    }

    pub fn token(&self, message_id: i64) -> String {
        let tag = self.mac(message_id).finalize().into_bytes();
        format!("{message_id:x}-{}", hex::encode(&tag[..MAC_LEN]))
    }

    /// The envelope sender of queued message `message_id`.
    pub fn address(&self, message_id: i64) -> String {
        format!("{LOCAL}+{}@{}", self.token(message_id), self.domain)
    }

    /// The message a token names, if it is well signed (compared in
    /// constant time).
    pub fn verify(&self, token: &str) -> Option<i64> {
        let token = token.trim().to_ascii_lowercase();
        let (id, tag) = token.split_once('-')?;
        if id.is_empty() || id.len() > 16 {
            return None;
        }
        let id = i64::from_str_radix(id, 16).ok().filter(|id| *id > 0)?;
        let tag = hex::decode(tag).ok().filter(|t| t.len() == MAC_LEN)?;
        self.mac(id).verify_truncated_left(&tag).ok()?;
        Some(id)
    }

    /// What an address (`bounces+TOKEN@domain`) stands for.
    pub fn recipient(&self, address: &str) -> Addressed {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Addressed::Foreign;
        };
        if !domain.eq_ignore_ascii_case(&self.domain) {
            return Addressed::Foreign;
        }
        let token = local
            .split_once('+')
            .filter(|(l, _)| l.eq_ignore_ascii_case(LOCAL))
            .map(|(_, t)| t);
        match token.and_then(|t| self.verify(t)) {
            Some(id) => Addressed::Message(id),
            None => Addressed::Unsigned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_fail() {
        let v = Verp::new(b"key".to_vec(), "Bounce.Example");
        let a = v.address(42);
        assert!(
            a.starts_with("bounces+2a-") && a.ends_with("@bounce.example"),
            "{a}"
        );
        assert!(a.len() < 60);
        assert_eq!(v.recipient(&a), Addressed::Message(42));
        assert_eq!(v.recipient(&a.to_uppercase()), Addressed::Message(42));
        assert_eq!(v.recipient(&format!("<{a}>")), Addressed::Message(42));
        // Another id with the same tag, another key, damage: nothing.
        let forged = a.replacen("+2a-", "+2b-", 1);
        assert_eq!(v.recipient(&forged), Addressed::Unsigned);
        let other = Verp::new(b"other".to_vec(), "bounce.example");
        assert_eq!(other.recipient(&a), Addressed::Unsigned);
        assert_eq!(
            v.recipient("bounces+zz-00@bounce.example"),
            Addressed::Unsigned
        );
        assert_eq!(
            v.recipient("postmaster@bounce.example"),
            Addressed::Unsigned
        );
        assert_eq!(
            v.recipient(&a.replace("bounce.example", "evil.example")),
            Addressed::Foreign
        );
        assert_eq!(v.verify(""), None);
    }
}
