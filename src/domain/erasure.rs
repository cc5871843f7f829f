//! How an erased address is remembered: not the address, but an HMAC of it
//! under a key each installation makes for itself and keeps in its
//! database. Without the key, the list can't be checked against a list of
//! known addresses; with it, Herald can still refuse to add one back.

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct ErasureKey {
    key: Vec<u8>,
}

impl ErasureKey {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    /// The form an address is erased in now.
    pub fn hash(&self, email: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(b"erased:");
        mac.update(email.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Every form the address may have been erased in: the keyed one, and
    /// the plain SHA-256 that releases before the key wrote (those rows
    /// can't be turned into the keyed form without the address).
    pub fn forms(&self, email: &str) -> [String; 2] {
        [
            self.hash(email),
            super::token::hash(&format!("erased:{email}")),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_per_installation() {
        let (a, b) = (
            ErasureKey::new(b"one".to_vec()),
            ErasureKey::new(b"two".to_vec()),
        );
        let email = "ada@example.com";
        assert_eq!(a.hash(email), a.hash(email));
        assert_ne!(a.hash(email), b.hash(email));
        let [keyed, plain] = a.forms(email);
        assert_eq!(keyed, a.hash(email));
        assert_eq!(plain, b.forms(email)[1]);
        assert_ne!(keyed, plain);
    }
}
