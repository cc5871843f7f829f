//! DKIM and `/metrics` end to end: mail signed with a freshly generated key
//! verifies with an independent implementation (dkimpy), covers the List-*
//! headers and breaks when tampered with; the delivery counters and queue
//! depth show up in `/metrics`, behind the admin token; a DKIM
//! configuration that can't work stops the start.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{
    add_confirmed, admin_post, free_port, maildev_url, random_hex, set_status, spawn_app,
    spawn_app_with, unique_email, wait_for_emails, TestApp, TestDb,
};

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

/// The raw message as the SMTP capture server received it.
async fn raw_source(email: &Value) -> Vec<u8> {
    let id = email["id"].as_str().expect("a maildev message id");
    let r = reqwest::get(format!("{}/email/{id}/source", maildev_url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
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

/// `raw` with the first `from` replaced by `to`; panics if `from` is absent,
/// so a tampering test can't pass by changing nothing.
fn tamper(raw: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(raw.to_vec()).unwrap();
    assert!(text.contains(from), "nothing to tamper with: {from}");
    text.replacen(from, to, 1).into_bytes()
}

async fn signed_mail_verifies(kind: KeyKind) {
    let key = generate_key(kind);
    let app = spawn_app_with(&[
        ("dkim_domain", DOMAIN),
        ("dkim_selector", &key.selector),
        ("dkim_key_file", key.path.to_str().unwrap()),
    ])
    .await;
    // A long, non-ASCII name: Subject and List-Id get encoded and folded,
    // which relaxed canonicalization has to see through.
    app.add_newsletter(
        "daily",
        "Le Café du Matin: the daily briefing of everything that happened in the city and the region",
    )
    .await;
    let pending = unique_email();
    assert_eq!(app.signup(&pending, &["daily"]).await.status(), 202);
    let reader = unique_email();
    add_confirmed(&app, "daily", &reader).await;
    send_digest(&app, "daily").await;

    let confirmation = raw_source(&wait_for_emails(&pending, 1).await[0]).await;
    let digest = raw_source(&wait_for_emails(&reader, 1).await[0]).await;
    let algorithm = match kind {
        KeyKind::Ed25519 => "ed25519-sha256",
        _ => "rsa-sha256",
    };
    for (what, raw) in [("confirmation", &confirmation), ("digest", &digest)] {
        let v = dkimpy(raw, &key);
        assert!(v.verified, "{kind:?} {what} does not verify:\n{}", v.log);
        assert_eq!(v.signatures, 1, "{what}: one signature");
        assert_eq!(v.tag("a"), algorithm);
        assert_eq!(v.tag("c"), "relaxed/relaxed");
        assert_eq!(v.tag("d"), DOMAIN);
        assert_eq!(v.tag("s"), key.selector);
        let h = v.signed_headers();
        for needed in [
            "from",
            "subject",
            "date",
            "to",
            "message-id",
            "list-unsubscribe",
            "list-unsubscribe-post",
            "list-id",
        ] {
            assert!(h.contains(&needed.to_string()), "{what}: h={h:?}");
        }
    }
    let text = String::from_utf8_lossy(&digest);
    assert!(
        text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
            && text.contains("List-Id:"),
        "the digest carries the headers the signature covers"
    );

    // Tampering with a covered header or the body breaks the signature.
    for (what, forged) in [
        (
            "unsubscribe link",
            tamper(&digest, "unsubscribe?token=", "unsubscribe?token=0"),
        ),
        (
            "one-click header",
            tamper(
                &digest,
                "List-Unsubscribe=One-Click",
                "List-Unsubscribe=Two-Clicks",
            ),
        ),
        ("subject", tamper(&digest, "Subject: ", "Subject: Re: ")),
        ("body", tamper(&digest, "Signed news", "Forged news")),
        (
            // Absent but listed in h=: adding it later breaks the signature too.
            "an added List-Unsubscribe",
            tamper(
                &confirmation,
                "Subject: ",
                "List-Unsubscribe: <https://evil.example/u>\r\nSubject: ",
            ),
        ),
    ] {
        let v = dkimpy(&forged, &key);
        assert!(!v.verified, "{kind:?}: a forged {what} still verifies");
    }
}

#[tokio::test]
async fn rsa_pkcs8_signatures_verify_and_cover_the_list_headers() {
    signed_mail_verifies(KeyKind::RsaPkcs8).await;
}

#[tokio::test]
async fn rsa_pkcs1_signatures_verify() {
    signed_mail_verifies(KeyKind::RsaPkcs1).await;
}

#[tokio::test]
async fn ed25519_signatures_verify_and_cover_the_list_headers() {
    signed_mail_verifies(KeyKind::Ed25519).await;
}

#[tokio::test]
async fn outbox_mail_is_signed_too() {
    let key = generate_key(KeyKind::Ed25519);
    let outbox = key.dir.join("outbox");
    let app = spawn_app_with(&[
        ("smtp_url", ""),
        ("outbox_dir", outbox.to_str().unwrap()),
        ("dkim_domain", DOMAIN),
        ("dkim_selector", &key.selector),
        ("dkim_key_file", key.path.to_str().unwrap()),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    app.signup(&unique_email(), &["daily"]).await;
    app.wait_queue_drained().await;
    let files: Vec<PathBuf> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read(&files[0]).unwrap();
    let v = dkimpy(&raw, &key);
    assert!(v.verified, "{}", v.log);
    assert_eq!(v.tag("a"), "ed25519-sha256");
}

#[tokio::test]
async fn without_dkim_settings_mail_is_not_signed() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let reader = unique_email();
    app.signup(&reader, &["daily"]).await;
    let raw = raw_source(&wait_for_emails(&reader, 1).await[0]).await;
    assert!(!String::from_utf8_lossy(&raw)
        .to_ascii_lowercase()
        .contains("dkim-signature:"));
}

/// A config from the test helpers' usual values plus `extra`.
fn config_with(db: &TestDb, extra: &[(&str, &str)]) -> anyhow::Result<herald::config::Config> {
    let values: BTreeMap<String, String> = [
        ("database_url", db.url.as_str()),
        ("listen", "127.0.0.1:0"),
        ("smtp_url", "smtp://127.0.0.1:1025"),
        ("admin_token", "not-used-here"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    herald::config::Config::from_values(&values)
}

#[tokio::test]
async fn a_dkim_setup_that_cannot_sign_stops_the_start() {
    let db = TestDb::create().await;
    let key = generate_key(KeyKind::Ed25519);
    let key_file = key.path.to_str().unwrap().to_string();

    // All three or none.
    for partial in [
        vec![("dkim_domain", DOMAIN)],
        vec![("dkim_domain", DOMAIN), ("dkim_selector", "s1")],
        vec![
            ("dkim_selector", "s1"),
            ("dkim_key_file", key_file.as_str()),
        ],
    ] {
        let e = config_with(&db, &partial).unwrap_err().to_string();
        assert!(e.contains("dkim_key_file") && e.contains("none"), "{e}");
    }

    // A key file that is missing, or holds no usable key: the error names
    // the file and never shows what is in it.
    let secret = "c2VjcmV0LWtleS1tYXRlcmlhbC1kby1ub3QtbG9n";
    let garbage = key.dir.join("garbage.pem");
    std::fs::write(
        &garbage,
        format!("-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n"),
    )
    .unwrap();
    let missing = key.dir.join("missing.pem");
    for file in [&garbage, &missing] {
        let file = file.to_str().unwrap();
        let config = config_with(
            &db,
            &[
                ("dkim_domain", DOMAIN),
                ("dkim_selector", "s1"),
                ("dkim_key_file", file),
            ],
        )
        .unwrap();
        let store = herald::startup::open_store(&config).await.unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let Err(e) =
            herald::startup::Application::build_with_listener(config, store.clone(), listener)
                .await
        else {
            panic!("started with an unusable DKIM key file {file}");
        };
        let e = format!("{e:#}");
        assert!(e.contains(file), "{e}");
        assert!(!e.contains(secret), "{e}");
        store.close().await;
    }

    // The binary: exits with the reason, naming the file, not its content.
    let dir = key.dir.join("run");
    std::fs::create_dir_all(&dir).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("serve")
        .current_dir(&dir)
        .env("HERALD_DATABASE_URL", &db.url)
        .env("HERALD_LISTEN", "127.0.0.1:0")
        .env("HERALD_OUTBOX_DIR", dir.join("outbox"))
        .env("HERALD_ADMIN_TOKEN", "not-used-here")
        .env("HERALD_DKIM_DOMAIN", DOMAIN)
        .env("HERALD_DKIM_SELECTOR", "s1")
        .env("HERALD_DKIM_KEY_FILE", &garbage)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("herald serve exits")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(garbage.to_str().unwrap()) && !stderr.contains(secret),
        "{stderr}"
    );
}

/// `/metrics` as a map from series (`name{labels}`) to value.
async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let r = app.admin_get("/metrics").await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    let text = r.text().await.unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("`series value`");
            (series.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

/// How much `series` grew between two scrapes. Counters are per process
/// and the tests share one, so growth is at least what this test caused.
fn grew(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>, series: &str) -> f64 {
    after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_need_the_admin_token() {
    let app = spawn_app().await;
    for auth in [None, Some("Bearer wrong"), Some("Basic Zm9vOmJhcg==")] {
        let mut r = app.client.get(app.url("/metrics"));
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
    }
    let r = app
        .client
        .post(app.url("/metrics"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn metrics_count_sends_and_show_the_queue() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let before = scrape(&app).await;
    for status in ["queued", "sending", "sent", "failed", "skipped"] {
        assert_eq!(
            before[&format!("herald_queue_depth{{status=\"{status}\"}}")],
            0.0
        );
    }

    let pending = unique_email();
    app.signup(&pending, &["daily"]).await;
    let readers = [unique_email(), unique_email()];
    for r in &readers {
        add_confirmed(&app, "daily", r).await;
    }
    send_digest(&app, "daily").await;
    app.wait_queue_drained().await;
    for r in &readers {
        wait_for_emails(r, 1).await;
    }

    let after = scrape(&app).await;
    assert!(
        grew(
            &before,
            &after,
            "herald_messages_sent_total{kind=\"confirm\"}"
        ) >= 1.0
    );
    assert!(
        grew(
            &before,
            &after,
            "herald_messages_sent_total{kind=\"digest\"}"
        ) >= 2.0
    );
    assert!(grew(&before, &after, "herald_send_duration_seconds_count") >= 3.0);
    assert!(
        grew(
            &before,
            &after,
            "herald_send_duration_seconds_bucket{le=\"+Inf\"}"
        ) >= 3.0
    );
    assert!(grew(&before, &after, "herald_send_duration_seconds_sum") > 0.0);
    // The queue depth is this app's database: exact.
    assert_eq!(after["herald_queue_depth{status=\"sent\"}"], 3.0);
    assert_eq!(after["herald_queue_depth{status=\"queued\"}"], 0.0);
    assert_eq!(after["herald_queue_depth{status=\"sending\"}"], 0.0);
    for family in ["failed", "retried", "skipped"] {
        assert!(after.contains_key(&format!(
            "herald_messages_{family}_total{{kind=\"digest\"}}"
        )));
    }
}

#[tokio::test]
async fn metrics_count_retries_failures_and_skips() {
    // Nothing listens on this port: every attempt is a temporary failure,
    // retried until `retry_for` runs out, then failed.
    let port = free_port();
    let app = spawn_app_with(&[
        ("smtp_url", &format!("smtp://127.0.0.1:{port}")),
        ("retry_for", "2s"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    let before = scrape(&app).await;

    app.signup(&unique_email(), &["daily"]).await;
    let leaves = unique_email();
    add_confirmed(&app, "daily", &leaves).await;
    send_digest(&app, "daily").await;
    // Unsubscribed before the relay ever answers: the next attempt skips it.
    let r = set_status(&app, "daily", &leaves, "unsubscribed").await;
    assert_eq!(r.status(), 200);

    let deadline = Instant::now() + Duration::from_secs(30);
    while app.message_count("failed").await < 1 || app.message_count("skipped").await < 1 {
        assert!(Instant::now() < deadline, "no failure and skip recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = scrape(&app).await;
    assert!(
        grew(
            &before,
            &after,
            "herald_messages_retried_total{kind=\"confirm\"}"
        ) >= 1.0
    );
    assert!(
        grew(
            &before,
            &after,
            "herald_messages_failed_total{kind=\"confirm\"}"
        ) >= 1.0
    );
    assert!(
        grew(
            &before,
            &after,
            "herald_messages_skipped_total{kind=\"digest\"}"
        ) >= 1.0
    );
    assert_eq!(after["herald_queue_depth{status=\"failed\"}"], 1.0);
    assert_eq!(after["herald_queue_depth{status=\"skipped\"}"], 1.0);
    assert_eq!(after["herald_queue_depth{status=\"sent\"}"], 0.0);
}
