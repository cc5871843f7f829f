//! Provider webhooks: SES events in signed SNS messages, Postmark events
//! behind HTTP Basic credentials; and a re-signup lifting a suppression.

use base64::Engine;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::{json, Value};

use super::*;
use crate::helpers::{add_confirmed, confirm, confirm_token_for, spawn_app_with, unique_email};

const CERT_URL: &str = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:herald-ses";

fn cert_file() -> String {
    format!("{}/tests/fixtures/sns/cert.pem", env!("CARGO_MANIFEST_DIR"))
}

/// Signs `text` as SNS does: RSA PKCS #1 v1.5 over SHA1 (version 1) or
/// SHA256 (version 2), with the test key (rsa here, ring in Herald).
fn sign(text: &str, version: &str) -> String {
    let key = RsaPrivateKey::from_pkcs8_pem(include_str!("../../fixtures/sns/key.pem")).unwrap();
    let (algorithm, prefix): (_, &[u8]) = match version {
        "1" => (
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
        ),
        _ => (
            &ring::digest::SHA256,
            &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
        ),
    };
    let digest = ring::digest::digest(algorithm, text.as_bytes());
    let scheme = Pkcs1v15Sign {
        hash_len: Some(digest.as_ref().len()),
        prefix: prefix.into(),
    };
    let signature = key.sign(scheme, digest.as_ref()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(signature)
}

/// A signed SNS Notification carrying `event` (an SES event).
fn notification(event: &Value, version: &str) -> Value {
    let message = event.to_string();
    let (id, ts) = (format!("m-{}", random_hex(8)), "2026-12-05T08:00:00.000Z");
    let text = format!(
        "Message\n{message}\nMessageId\n{id}\nTimestamp\n{ts}\nTopicArn\n{TOPIC}\nType\nNotification\n"
    );
    json!({
        "Type": "Notification", "MessageId": id, "TopicArn": TOPIC, "Message": message,
        "Timestamp": ts, "SignatureVersion": version, "Signature": sign(&text, version),
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    })
}

fn bounce(emails: &[&str], kind: &str) -> Value {
    let recipients: Vec<Value> = emails
        .iter()
        .map(|e| {
            json!({"emailAddress": e, "action": "failed", "status": "5.1.1",
            "diagnosticCode": "smtp; 550 5.1.1 user unknown"})
        })
        .collect();
    json!({"notificationType": "Bounce", "bounce": {"bounceType": kind,
        "bounceSubType": "General", "bouncedRecipients": recipients},
        "mail": {"source": "news@herald.test"}})
}

async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("Content-Type", "text/plain; charset=UTF-8")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn ses_notifications_with_a_valid_signature_suppress_and_others_are_refused() {
    let app = spawn_app_with(&[("sns_test_cert_file", &cert_file())]).await;
    app.add_newsletter("daily", "Daily").await;
    let (a, b, c) = (unique_email(), unique_email(), unique_email());
    for e in [&a, &b, &c] {
        add_confirmed(&app, "daily", e).await;
    }

    // A bad signature, a tampered message, another certificate host, an
    // unknown version: 401 and nothing changes.
    let good = notification(&bounce(&[&a], "Permanent"), "2");
    let mut tampered = good.clone();
    tampered["Message"] = bounce(&[&a, &c], "Permanent").to_string().into();
    let mut bad_signature = good.clone();
    bad_signature["Signature"] = sign("something else", "2").into();
    let mut other_host = good.clone();
    other_host["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com.evil.example/x.pem".into();
    let mut plain_http = good.clone();
    plain_http["SigningCertURL"] = CERT_URL.replace("https", "http").into();
    let mut version = good.clone();
    version["SignatureVersion"] = "3".into();
    for body in [
        &tampered,
        &bad_signature,
        &other_host,
        &plain_http,
        &version,
    ] {
        let r = post(&app, "/webhooks/ses", body).await;
        assert_eq!(r.status(), 401, "{body}");
    }
    for bad in [json!("not an object"), json!({"Type": "Notification"})] {
        assert_eq!(post(&app, "/webhooks/ses", &bad).await.status(), 400);
    }
    let r = app
        .client
        .post(app.url("/webhooks/ses"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(suppressions(&app).await.is_empty());

    // A transient bounce: nothing to do.
    let r = post(
        &app,
        "/webhooks/ses",
        &notification(&bounce(&[&c], "Transient"), "2"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(suppressions(&app).await.is_empty());

    // Valid: SHA256 (version 2) and SHA1 (version 1).
    let r = post(&app, "/webhooks/ses", &good).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let s = suppression_of(&app, &a).await.expect("suppressed");
    assert_eq!(
        (s["reason"].as_str(), s["source"].as_str()),
        (Some("hard_bounce"), Some("ses"))
    );
    assert!(s["evidence"].as_str().unwrap().contains("5.1.1"), "{s}");
    assert_eq!(app.status_of("daily", &a).await.as_deref(), Some("bounced"));

    let complaint = json!({"notificationType": "Complaint", "complaint": {
        "complainedRecipients": [{"emailAddress": b}], "complaintFeedbackType": "abuse"}});
    let r = post(&app, "/webhooks/ses", &notification(&complaint, "1")).await;
    assert_eq!(r.status(), 200);
    let s = suppression_of(&app, &b).await.expect("suppressed");
    assert_eq!(s["reason"], "complained");
    assert_eq!(
        app.status_of("daily", &b).await.as_deref(),
        Some("complained")
    );
    assert!(suppression_of(&app, &c).await.is_none());

    // A subscription confirmation, signed over its own fields: accepted
    // (and logged with its URL); a broken one is refused.
    let (id, ts, token) = ("c-1", "2026-12-05T08:00:00.000Z", "tok123");
    let url = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=tok123";
    let message = "You have chosen to subscribe to the topic.";
    let text = format!(
        "Message\n{message}\nMessageId\n{id}\nSubscribeURL\n{url}\nTimestamp\n{ts}\nToken\n{token}\nTopicArn\n{TOPIC}\nType\nSubscriptionConfirmation\n"
    );
    let mut confirmation = json!({"Type": "SubscriptionConfirmation", "MessageId": id,
        "Token": token, "TopicArn": TOPIC, "Message": message, "SubscribeURL": url,
        "Timestamp": ts, "SignatureVersion": "1", "Signature": sign(&text, "1"),
        "SigningCertURL": CERT_URL});
    assert_eq!(
        post(&app, "/webhooks/ses", &confirmation).await.status(),
        200
    );
    confirmation["Token"] = "other".into();
    assert_eq!(
        post(&app, "/webhooks/ses", &confirmation).await.status(),
        401
    );
}

#[tokio::test]
async fn the_webhooks_are_documented() {
    let app = spawn_app_with(&[]).await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in ["/webhooks/ses", "/webhooks/postmark"] {
        let post = &doc["paths"][path]["post"];
        for status in ["200", "400", "401"] {
            assert!(
                post["responses"][status].is_object(),
                "{path} {status}: {post}"
            );
        }
    }
}

#[tokio::test]
async fn ses_notifications_of_other_topics_are_refused_when_topics_are_listed() {
    let app = spawn_app_with(&[
        ("sns_test_cert_file", &cert_file()),
        (
            "sns_topic_arns",
            "arn:aws:sns:us-east-1:123456789012:another",
        ),
    ])
    .await;
    let a = unique_email();
    let r = post(
        &app,
        "/webhooks/ses",
        &notification(&bounce(&[&a], "Permanent"), "2"),
    )
    .await;
    assert_eq!(r.status(), 401);
    assert!(suppressions(&app).await.is_empty());
}

async fn postmark(app: &TestApp, auth: Option<(&str, &str)>, body: &str) -> reqwest::Response {
    let mut r = app
        .client
        .post(app.url("/webhooks/postmark"))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some((user, password)) = auth {
        r = r.basic_auth(user, Some(password));
    }
    r.send().await.unwrap()
}

#[tokio::test]
async fn postmark_without_configured_credentials_answers_401() {
    let app = spawn_app_with(&[]).await;
    let a = unique_email();
    let event = json!({"RecordType": "Bounce", "Type": "HardBounce", "Email": a}).to_string();
    for auth in [None, Some(("", "")), Some(("user", "password"))] {
        assert_eq!(postmark(&app, auth, &event).await.status(), 401);
    }
    assert!(suppressions(&app).await.is_empty());
}

#[tokio::test]
async fn postmark_events_with_credentials_suppress() {
    let password = "pm-secret-0123456789";
    let app = spawn_app_with(&[("webhook_user", "postmark"), ("webhook_password", password)]).await;
    app.add_newsletter("daily", "Daily").await;
    let (a, b, c) = (unique_email(), unique_email(), unique_email());
    for e in [&a, &b, &c] {
        add_confirmed(&app, "daily", e).await;
    }
    let hard = json!({"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "Email": a,
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist",
        "Description": "The server was unable to deliver your message"})
    .to_string();
    for auth in [
        None,
        Some(("postmark", "wrong")),
        Some(("other", password)),
        Some(("postmark", &password[..password.len() - 1])),
    ] {
        let r = postmark(&app, auth, &hard).await;
        assert_eq!(r.status(), 401, "{auth:?}");
        assert!(r.headers().contains_key("www-authenticate"));
    }
    assert!(suppressions(&app).await.is_empty());
    let good = Some(("postmark", password));
    assert_eq!(postmark(&app, good, "{not json").await.status(), 400);
    let huge = format!("{{\"x\":\"{}\"}}", "a".repeat(300 * 1024));
    assert_eq!(postmark(&app, good, &huge).await.status(), 413);

    let soft = json!({"RecordType": "Bounce", "Type": "SoftBounce", "Email": c}).to_string();
    assert_eq!(postmark(&app, good, &soft).await.status(), 200);
    assert!(suppressions(&app).await.is_empty());

    assert_eq!(postmark(&app, good, &hard).await.status(), 200);
    let s = suppression_of(&app, &a).await.expect("suppressed");
    assert_eq!(
        (s["reason"].as_str(), s["source"].as_str()),
        (Some("hard_bounce"), Some("postmark"))
    );
    assert!(s["evidence"].as_str().unwrap().contains("550 5.1.1"), "{s}");

    let spam =
        json!({"RecordType": "SpamComplaint", "Type": "SpamComplaint", "Email": b}).to_string();
    assert_eq!(postmark(&app, good, &spam).await.status(), 200);
    assert_eq!(
        suppression_of(&app, &b).await.unwrap()["reason"],
        "complained"
    );
    assert_eq!(
        app.status_of("daily", &b).await.as_deref(),
        Some("complained")
    );
    assert_eq!(
        app.status_of("daily", &c).await.as_deref(),
        Some("confirmed")
    );
}

#[tokio::test]
async fn a_new_signup_and_confirmation_lifts_a_suppression() {
    let password = "pm-secret-0123456789";
    let app = spawn_app_with(&[("webhook_user", "postmark"), ("webhook_password", password)]).await;
    app.add_newsletter("daily", "Daily").await;
    let a = unique_email();
    add_confirmed(&app, "daily", &a).await;
    let hard = json!({"RecordType": "Bounce", "Type": "HardBounce", "Email": a}).to_string();
    assert_eq!(
        postmark(&app, Some(("postmark", password)), &hard)
            .await
            .status(),
        200
    );
    assert_eq!(app.status_of("daily", &a).await.as_deref(), Some("bounced"));

    let r = app.signup(&a, &["daily"]).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let token = confirm_token_for(&a).await;
    let r = confirm(&app, &token).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert!(suppression_of(&app, &a).await.is_none(), "lifted");
    assert_eq!(
        app.status_of("daily", &a).await.as_deref(),
        Some("confirmed")
    );
}
