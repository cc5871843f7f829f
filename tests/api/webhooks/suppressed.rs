//! `subscriber.bounced` and `subscriber.complained`: queued with the
//! suppression itself, once per new suppression.

use std::sync::Arc;

use serde_json::Value;

use super::{add_endpoint, Receiver};
use crate::fake_smtp::FakeSmtp;
use crate::helpers::{
    add_confirmed, add_item, send_digest, spawn_app_with, unique_email, wait_digest_status,
};

#[tokio::test]
async fn a_hard_bounce_and_a_complaint_reach_the_endpoint_once_each() {
    let bad = unique_email();
    let b = bad.clone();
    let smtp = FakeSmtp::start(Arc::new(move |rcpt: &str, _| {
        if rcpt == b {
            format!("550 5.1.1 <{b}>: No such user here")
        } else {
            "250 2.1.5 OK".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[
        ("smtp_url", &smtp.url),
        ("feeds_allow_private", "true"),
        ("webhook_retry_base", "100ms"),
    ])
    .await;
    app.add_newsletter("daily", "Daily briefing").await;
    let mut receiver = Receiver::start(0).await;
    let created = add_endpoint(
        &app,
        &receiver.url(),
        &["subscriber.bounced", "subscriber.complained"],
    )
    .await;
    receiver
        .give_secret(created["secret"].as_str().unwrap())
        .await;
    let fine = unique_email();
    add_confirmed(&app, "daily", &bad).await;
    add_confirmed(&app, "daily", &fine).await;

    add_item(&app, "Storm warning", "https://news.example/storm", "").await;
    let r = send_digest(&app, "daily", None).await;
    assert!(r.status().is_success(), "{}", r.status());
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    wait_digest_status(&app, id, "sent").await;

    // A complaint, as the bounce listener or a provider records it.
    let now = chrono::Utc::now();
    for _ in 0..2 {
        app.store
            .suppress(
                &herald::store::NewSuppression {
                    email: &fine,
                    email_hash: "test-hash",
                    reason: herald::domain::SuppressionReason::Complained,
                    source: "arf",
                    evidence: Some("Feedback-Type: abuse"),
                },
                now,
            )
            .await
            .unwrap();
    }

    let state = receiver
        .wait_for(&["subscriber.bounced", "subscriber.complained"])
        .await;
    assert_eq!(state["bad_signatures"], 0);
    let events: Vec<&Value> = state["events"].as_object().unwrap().values().collect();
    assert_eq!(
        events.len(),
        2,
        "a repeated complaint is no new event: {state}"
    );
    let of = |t: &str| *events.iter().find(|e| e["type"] == t).unwrap();
    let bounced = of("subscriber.bounced");
    assert_eq!(bounced["data"]["email"], bad.as_str());
    assert_eq!(bounced["data"]["reason"], "hard_bounce");
    assert_eq!(bounced["data"]["source"], "smtp");
    let complained = of("subscriber.complained");
    assert_eq!(complained["data"]["email"], fine.as_str());
    assert_eq!(complained["data"]["reason"], "complained");
    assert_eq!(complained["data"]["source"], "arf");
}
