//! Secret tokens: random ones stored only as SHA-256 hashes, and signed
//! unsubscribe tokens that need no storage at all.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

/// A fresh 256-bit random token, hex-encoded (64 characters).
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The form in which a token is stored and looked up.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Signs and checks link tokens `"{id}-{mac}"`: unsubscribe tokens name a
/// subscription, manage tokens a subscriber, and the purpose is part of
/// what is signed, so one can never stand for the other. They never expire
/// (RFC 8058 receivers may POST months later) and carry no name or
/// address.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl LinkSigner {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, purpose: &[u8], id: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(purpose);
        mac.update(id.to_string().as_bytes());
        mac
    }

    fn sign(&self, purpose: &[u8], id: i64) -> String {
        let tag = self.mac(purpose, id).finalize().into_bytes();
        format!("{id}-{}", hex::encode(&tag[..16]))
    }

    /// The id a token names, if its signature for `purpose` is right
    /// (compared in constant time).
    fn verify(&self, purpose: &[u8], token: &str) -> Option<i64> {
        let (id, tag) = token.trim().split_once('-')?;
        let id: i64 = id.parse().ok()?;
        let tag = hex::decode(tag).ok()?;
        if tag.len() != 16 {
            return None;
        }
        self.mac(purpose, id).verify_truncated_left(&tag).ok()?;
        Some(id)
    }

    pub fn unsubscribe_token(&self, subscription_id: i64) -> String {
        self.sign(b"unsubscribe:", subscription_id)
    }

    pub fn verify_unsubscribe(&self, token: &str) -> Option<i64> {
        self.verify(b"unsubscribe:", token)
    }

    /// The token of a subscriber's preference page.
    pub fn manage_token(&self, subscriber_id: i64) -> String {
        self.sign(b"manage:", subscriber_id)
    }

    pub fn verify_manage(&self, token: &str) -> Option<i64> {
        self.verify(b"manage:", token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_differ_and_hash_stably() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), a);
    }

    #[test]
    fn unsubscribe_tokens_verify_and_resist_forgery() {
        let s = LinkSigner::new(b"key".to_vec());
        let t = s.unsubscribe_token(42);
        assert_eq!(s.verify_unsubscribe(&t), Some(42));
        let forged = t.replacen("42-", "43-", 1);
        assert_eq!(s.verify_unsubscribe(&forged), None);
        assert_eq!(
            LinkSigner::new(b"other".to_vec()).verify_unsubscribe(&t),
            None
        );
        assert_eq!(s.verify_unsubscribe("garbage"), None);
        // A manage token is no unsubscribe token, nor the other way round.
        let m = s.manage_token(42);
        assert_eq!(s.verify_manage(&m), Some(42));
        assert_eq!(s.verify_unsubscribe(&m), None);
        assert_eq!(s.verify_manage(&t), None);
    }
}
