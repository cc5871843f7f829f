//! DKIM signing (RFC 6376) of every outgoing message, so receivers can
//! authenticate the mail and offer RFC 8058 one-click unsubscribe, which
//! they only do when the signature covers the `List-Unsubscribe` headers.

use std::fmt;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use base64::Engine;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use lettre::Message;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding};
use rsa::pkcs8::der::asn1::OctetStringRef;
use rsa::pkcs8::der::zeroize::Zeroizing;
use rsa::pkcs8::der::{Decode, SecretDocument};
use rsa::pkcs8::{DecodePrivateKey, ObjectIdentifier, PrivateKeyInfo};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;

use crate::config::DkimSettings;

/// The headers the signature covers. RFC 8058 requires `List-Unsubscribe`
/// and `List-Unsubscribe-Post` in `h=`; the rest is what a forger would
/// want to change. A header listed but absent (the List-* ones on a
/// confirmation email, `Reply-To` mostly) is hashed as empty (RFC 6376
/// §5.4), so nobody can add it later without breaking the signature.
///
/// Not `Content-Type`: lettre writes a multipart body's `Content-Type`
/// with the body, so its signer doesn't see it and would hash it as
/// absent, and every receiver would find the signature broken. The body
/// hash covers the MIME structure anyway (the boundaries are in the body).
pub const SIGNED_HEADERS: &[&str] = &[
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// RSA keys below this are ignored by Gmail and forbidden by RFC 8301.
const MIN_RSA_BITS: usize = 1024;
/// A key file is a few kilobytes; refuse to read anything much larger.
const MAX_KEY_FILE: u64 = 64 * 1024;

const RSA_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// A loaded signing key with its domain and selector. Its `Debug` names
/// only those: lettre's key types would print the private key.
pub struct Dkim {
    config: DkimConfig,
    domain: String,
    selector: String,
    algorithm: &'static str,
}

impl fmt::Debug for Dkim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dkim")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Dkim {
    /// Reads the key named in `settings`. Fails at startup, naming the file
    /// but never quoting it, when it can't be read or holds no usable key:
    /// sending unsigned mail instead would quietly lose one-click
    /// unsubscribe and hurt deliverability.
    pub fn load(settings: &DkimSettings) -> anyhow::Result<Self> {
        let path = &settings.key_file;
        let (key, algorithm) =
            read_key(path).with_context(|| format!("DKIM key file {}", path.display()))?;
        Ok(Self::with_key(settings, key, algorithm))
    }

    fn with_key(settings: &DkimSettings, key: DkimSigningKey, algorithm: &'static str) -> Self {
        let headers = SIGNED_HEADERS
            .iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect();
        // Relaxed for both: relays that refold headers or re-wrap trailing
        // whitespace don't break a relaxed signature (RFC 6376 §3.4).
        let canonicalization = DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        };
        let config = DkimConfig::new(
            settings.selector.clone(),
            settings.domain.clone(),
            key,
            headers,
            canonicalization,
        );
        Dkim {
            config,
            domain: settings.domain.clone(),
            selector: settings.selector.clone(),
            algorithm,
        }
    }

    /// Adds the `DKIM-Signature` header. Call it on the finished message:
    /// any header added afterwards is not covered, and a covered one
    /// changed afterwards breaks the signature.
    pub fn sign(&self, message: &mut Message) {
        message.sign(&self.config);
    }

    /// `rsa` or `ed25519`, for the startup log.
    pub fn algorithm(&self) -> &'static str {
        self.algorithm
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn selector(&self) -> &str {
        &self.selector
    }
}

fn read_key(path: &Path) -> anyhow::Result<(DkimSigningKey, &'static str)> {
    let size = std::fs::metadata(path)
        .map_err(|e| anyhow!("cannot be read: {e}"))?
        .len();
    if size > MAX_KEY_FILE {
        bail!("is {size} bytes: too large for a private key");
    }
    let text =
        Zeroizing::new(std::fs::read_to_string(path).map_err(|e| anyhow!("cannot be read: {e}"))?);
    parse_key(&text)
}

/// Accepts what `openssl genpkey` and `openssl genrsa` write: PKCS#8
/// `PRIVATE KEY` holding RSA or Ed25519, and PKCS#1 `RSA PRIVATE KEY`.
/// Errors describe the problem, never the content.
fn parse_key(text: &str) -> anyhow::Result<(DkimSigningKey, &'static str)> {
    let text = text.trim();
    if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
        let key = RsaPrivateKey::from_pkcs1_pem(text)
            .map_err(|e| anyhow!("is not a valid PKCS#1 RSA key ({e})"))?;
        return rsa_key(key);
    }
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        bail!("holds an encrypted key; store it unencrypted, readable only by Herald");
    }
    if text.contains("-----BEGIN PRIVATE KEY-----") {
        let (_, doc) = SecretDocument::from_pem(text)
            .map_err(|e| anyhow!("is not a valid PKCS#8 PEM key ({e})"))?;
        let info = PrivateKeyInfo::from_der(doc.as_bytes())
            .map_err(|e| anyhow!("is not a valid PKCS#8 key ({e})"))?;
        return match info.algorithm.oid {
            RSA_OID => {
                let key = RsaPrivateKey::from_pkcs8_der(doc.as_bytes())
                    .map_err(|e| anyhow!("is not a valid RSA key ({e})"))?;
                rsa_key(key)
            }
            ED25519_OID => {
                // RFC 8410: the private key is an OCTET STRING of the seed.
                let seed = OctetStringRef::from_der(info.private_key)
                    .map_err(|e| anyhow!("is not a valid Ed25519 key ({e})"))?;
                ed25519_key(seed.as_bytes())
            }
            _ => bail!("holds a key of another algorithm; use RSA (2048 bits) or Ed25519"),
        };
    }
    bail!("holds no private key Herald can use (PEM, PKCS#8 or PKCS#1, RSA or Ed25519)")
}

fn rsa_key(key: RsaPrivateKey) -> anyhow::Result<(DkimSigningKey, &'static str)> {
    let bits = key.size() * 8;
    if bits < MIN_RSA_BITS {
        bail!(
            "holds a {bits}-bit RSA key; receivers ignore keys under {MIN_RSA_BITS} bits, use 2048"
        );
    }
    if bits < 2048 {
        tracing::warn!(
            bits,
            "the DKIM RSA key is shorter than the 2048 bits RFC 8301 asks for"
        );
    }
    key.validate()
        .map_err(|e| anyhow!("holds an inconsistent RSA key ({e})"))?;
    // lettre reads RSA keys as PKCS#1 PEM only.
    let pem = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| anyhow!("cannot be re-encoded ({e})"))?;
    let key = DkimSigningKey::new(&pem, DkimSigningAlgorithm::Rsa)
        .map_err(|e| anyhow!("is not a usable RSA key ({e})"))?;
    Ok((key, "rsa"))
}

fn ed25519_key(seed: &[u8]) -> anyhow::Result<(DkimSigningKey, &'static str)> {
    if seed.len() != 32 {
        bail!("holds an Ed25519 key of the wrong length");
    }
    // lettre takes the seed base64-encoded.
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(seed));
    let key = DkimSigningKey::new(&encoded, DkimSigningAlgorithm::Ed25519)
        .map_err(|e| anyhow!("is not a usable Ed25519 key ({e})"))?;
    Ok((key, "ed25519"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // A throwaway Ed25519 key (RFC 8032 test vector 1's seed).
    const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
        MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
        -----END PRIVATE KEY-----\n";

    fn message() -> Message {
        crate::email::build_message(crate::email::Outgoing {
            from: "Herald <news@example.com>".parse().unwrap(),
            reply_to: None,
            to: "reader@example.org",
            subject: "Today",
            message_id: "<1@example.com>",
            text: crate::email::BodyText::Plain("Hello"),
            html: crate::email::BodyText::Plain("<p>Hello</p>"),
            headers: vec![
                ("List-Unsubscribe", "<https://example.com/u?t=1>".into()),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()),
            ],
            envelope_from: None,
        })
        .unwrap()
    }

    #[test]
    fn ed25519_pkcs8_signs_with_the_list_headers_covered() {
        let (key, alg) = parse_key(ED25519_PEM).unwrap();
        assert_eq!(alg, "ed25519");
        let settings = DkimSettings {
            domain: "example.com".into(),
            selector: "s1".into(),
            key_file: "unused".into(),
        };
        let dkim = Dkim::with_key(&settings, key, alg);
        let mut m = message();
        dkim.sign(&mut m);
        let raw = String::from_utf8(m.formatted()).unwrap();
        let sig = raw
            .split("\r\n")
            .skip_while(|l| !l.starts_with("DKIM-Signature:"))
            .take_while(|l| l.starts_with("DKIM-Signature:") || l.starts_with([' ', '\t']))
            .collect::<String>();
        assert!(sig.contains("a=ed25519-sha256"), "{sig}");
        assert!(sig.contains("c=relaxed/relaxed"), "{sig}");
        assert!(
            sig.contains("list-unsubscribe:list-unsubscribe-post"),
            "{sig}"
        );
        assert!(!format!("{dkim:?}").contains("MC4C"));
    }

    /// lettre's signer sees only the message's own headers: one it writes
    /// elsewhere (a multipart `Content-Type` goes out with the body) would
    /// be hashed as absent while present, and break every signature.
    #[test]
    fn every_signed_header_that_goes_out_is_one_the_signer_sees() {
        let mut m = message();
        m.headers_mut()
            .insert_raw(lettre::message::header::HeaderValue::new(
                HeaderName::new_from_ascii_str("Reply-To"),
                "desk@example.com".into(),
            ));
        let raw = String::from_utf8(m.formatted()).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
        for name in SIGNED_HEADERS {
            let written = head.starts_with(&format!("{}:", name.to_ascii_lowercase()))
                || head.contains(&format!("\r\n{}:", name.to_ascii_lowercase()));
            let seen = m.headers().get_raw(name).is_some();
            assert_eq!(written, seen, "{name}");
        }
        assert!(
            head.contains("\r\ncontent-type:") && m.headers().get_raw("Content-Type").is_none()
        );
    }

    #[test]
    fn unusable_keys_are_refused_without_quoting_them() {
        let secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";
        for bad in [
            String::new(),
            secret.to_string(),
            format!("-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n"),
            format!("-----BEGIN RSA PRIVATE KEY-----\n{secret}\n-----END RSA PRIVATE KEY-----\n"),
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----"
                .to_string(),
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"
                .to_string(),
        ] {
            let Err(e) = parse_key(&bad) else {
                panic!("an unusable key was accepted")
            };
            let e = format!("{e:#}");
            assert!(!e.contains(secret), "{e}");
        }
    }

    #[test]
    fn a_missing_file_is_named() {
        let settings = DkimSettings {
            domain: "example.com".into(),
            selector: "s1".into(),
            key_file: "/nonexistent/dkim.pem".into(),
        };
        let e = format!("{:#}", Dkim::load(&settings).unwrap_err());
        assert!(e.contains("/nonexistent/dkim.pem"), "{e}");
    }
}
