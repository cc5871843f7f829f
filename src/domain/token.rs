//! Secret tokens: random ones stored only as SHA-256 hashes, and signed
//! unsubscribe tokens that need no storage at all.

use hmac::{Hmac, Mac};
use rand::RngCore;
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

/// Signs and checks unsubscribe tokens `"{subscription_id}-{mac}"`. They
/// never expire (RFC 8058 receivers may POST months later) and carry no name
/// or address.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl LinkSigner {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, subscription_id: i64) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(b"unsubscribe:");
        mac.update(subscription_id.to_string().as_bytes());
        mac
    }

    pub fn unsubscribe_token(&self, subscription_id: i64) -> String {
        let tag = self.mac(subscription_id).finalize().into_bytes();
        format!("{subscription_id}-{}", hex::encode(&tag[..16]))
    }

    /// The subscription a token names, if its signature is right
    /// (compared in constant time).
    pub fn verify_unsubscribe(&self, token: &str) -> Option<i64> {
        let (id, tag) = token.trim().split_once('-')?;
        let id: i64 = id.parse().ok()?;
        let tag = hex::decode(tag).ok()?;
        if tag.len() != 16 {
            return None;
        }
        self.mac(id).verify_truncated_left(&tag).ok()?;
        Some(id)
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
    }
}
