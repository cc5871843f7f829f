//! DKIM signing: signatures that verify with dkimpy and break when tampered
//! with, outbox mail signed too, and a setup that cannot sign stops the start.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{
    add_confirmed, maildev_url, spawn_app, spawn_app_with, unique_email, wait_for_emails, TestDb,
};

use super::*;

/// The raw message as the SMTP capture server received it.
async fn raw_source(email: &Value) -> Vec<u8> {
    let id = email["id"].as_str().expect("a maildev message id");
    let r = reqwest::get(format!("{}/email/{id}/source", maildev_url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
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
        ("admin_token", "not-used-here-but-long-enough-to-be-a-token"),
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
        .env(
            "HERALD_ADMIN_TOKEN",
            "not-used-here-but-long-enough-to-be-a-token",
        )
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
