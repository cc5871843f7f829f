//! DKIM and `/metrics` end to end: mail signed with a freshly generated key
//! verifies with an independent implementation (dkimpy), covers the List-*
//! headers and breaks when tampered with; the delivery counters and queue
//! depth show up in `/metrics`, behind the admin token; a DKIM
//! configuration that can't work stops the start.
//! Shared helpers (test keys, dkimpy, a digest to send) live here.

mod metrics;
mod signing;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{admin_post, random_hex, TestApp};

const DOMAIN: &str = "herald.test";

/// A private key in a temporary folder (removed on drop) and the DNS TXT
/// record that publishes its public half.
struct TestKey {
    dir: PathBuf,
    path: PathBuf,
    selector: String,
    record: String,
}

impl Drop for TestKey {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[derive(Clone, Copy, Debug)]
enum KeyKind {
    /// `openssl genpkey -algorithm RSA`: PKCS#8 `PRIVATE KEY`.
    RsaPkcs8,
    /// The same converted to PKCS#1 `RSA PRIVATE KEY` (`openssl genrsa -traditional`).
    RsaPkcs1,
    Ed25519,
}

fn generate_key(kind: KeyKind) -> TestKey {
    let dir = std::env::temp_dir().join(format!("herald-dkim-{}", random_hex(12)));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dkim.pem");
    let p = path.to_str().unwrap();
    match kind {
        KeyKind::RsaPkcs8 | KeyKind::RsaPkcs1 => {
            openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                p,
            ]);
        }
        KeyKind::Ed25519 => {
            openssl(&["genpkey", "-algorithm", "ed25519", "-out", p]);
        }
    }
    if let KeyKind::RsaPkcs1 = kind {
        let pkcs1 = dir.join("pkcs1.pem");
        openssl(&[
            "pkey",
            "-in",
            p,
            "-traditional",
            "-out",
            pkcs1.to_str().unwrap(),
        ]);
        std::fs::rename(&pkcs1, &path).unwrap();
    }
    let head = std::fs::read_to_string(&path).unwrap();
    let expected = match kind {
        KeyKind::RsaPkcs1 => "-----BEGIN RSA PRIVATE KEY-----",
        _ => "-----BEGIN PRIVATE KEY-----",
    };
    assert!(head.starts_with(expected), "{kind:?} key in the wrong form");
    let der = openssl(&["pkey", "-in", p, "-pubout", "-outform", "DER"]);
    let b64 = base64::engine::general_purpose::STANDARD;
    let record = match kind {
        // RFC 6376: p= is the SubjectPublicKeyInfo.
        KeyKind::RsaPkcs8 | KeyKind::RsaPkcs1 => format!("v=DKIM1; k=rsa; p={}", b64.encode(&der)),
        // RFC 8463: p= is the bare 32-byte key, the end of the SPKI.
        KeyKind::Ed25519 => format!(
            "v=DKIM1; k=ed25519; p={}",
            b64.encode(&der[der.len() - 32..])
        ),
    };
    TestKey {
        dir,
        path,
        selector: format!("t{}", random_hex(8)),
        record,
    }
}

/// What dkimpy made of a message.
struct Verdict {
    verified: bool,
    signatures: u64,
    tags: Value,
    log: String,
}

impl Verdict {
    /// The `h=` header names, lower case, without folding whitespace.
    fn signed_headers(&self) -> Vec<String> {
        self.tags["h"]
            .as_str()
            .unwrap_or_default()
            .split(':')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect()
    }

    fn tag(&self, name: &str) -> String {
        self.tags[name]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .collect()
    }
}

/// Runs `tests/dkim_verify.py` (dkimpy) on a raw message, answering the
/// key lookup with the test key's record instead of DNS.
fn dkimpy(raw: &[u8], key: &TestKey) -> Verdict {
    let file = key.dir.join(format!("{}.eml", random_hex(8)));
    std::fs::write(&file, raw).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dkim_verify.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&file)
        .arg(format!("{}._domainkey.{DOMAIN}", key.selector))
        .arg(&key.record)
        .output()
        .expect("python3 runs");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let line = String::from_utf8_lossy(&out.stdout);
    let parsed: Value = serde_json::from_str(line.trim()).unwrap_or_else(|_| {
        panic!("dkim_verify.py failed (pip install 'dkimpy[ed25519]', or run bash .ci/run): {log}")
    });
    let verdict = Verdict {
        verified: parsed["verified"] == true,
        signatures: parsed["signatures"].as_u64().unwrap_or(0),
        tags: parsed["tags"].clone(),
        log,
    };
    assert_eq!(
        out.status.code(),
        Some(if verdict.verified { 0 } else { 1 }),
        "{}",
        verdict.log
    );
    verdict
}

/// One new feed item, then a digest of it to `slug`'s confirmed readers.
async fn send_digest(app: &TestApp, slug: &str) -> Value {
    let r = admin_post(
        app,
        "/api/admin/feed-items",
        json!({"title": "Signed news", "url": "https://news.example/signed", "summary": "Tamper-evident"}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = admin_post(
        app,
        &format!("/api/admin/newsletters/{slug}/digests"),
        json!({}),
    )
    .await;
    assert_eq!(r.status(), 202);
    r.json().await.unwrap()
}
