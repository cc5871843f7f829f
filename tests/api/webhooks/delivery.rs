//! Deliveries: signed (checked by an independent implementation), retried
//! with backoff, exactly once per event id in the end, logged per attempt;
//! an endpoint failing for the configured window is disabled; the address
//! guard is checked again at send time.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{add_endpoint, attempts, wait_endpoint, Receiver, ALL_EVENTS};
use crate::console::{get, signed_in};
use crate::helpers::{
    add_item, admin, confirm, confirm_token_for, free_port, link_token, send_digest,
    spawn_app_with, unique_email, wait_digest_status,
};

const FAST: &[(&str, &str)] = &[
    ("feeds_allow_private", "true"),
    ("webhook_retry_base", "100ms"),
];

#[tokio::test]
async fn every_event_arrives_signed_once_per_id_after_three_failures() {
    let app = spawn_app_with(FAST).await;
    app.add_newsletter("daily", "Daily briefing").await;
    let mut receiver = Receiver::start(3).await;
    let created = add_endpoint(&app, &receiver.url(), ALL_EVENTS).await;
    receiver
        .give_secret(created["secret"].as_str().unwrap())
        .await;
    let id = created["id"].as_i64().unwrap();

    // Signup and confirmation.
    let email = unique_email();
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    let token = confirm_token_for(&email).await;
    let page = confirm(&app, &token).await;
    assert_eq!(page.status(), 200);
    let page = page
        .text()
        .await
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    let unsubscribe = link_token(&page, "unsubscribe");

    // A digest sent to that reader.
    add_item(&app, "Storm warning", "https://news.example/storm", "Wind.").await;
    let r = send_digest(&app, "daily", None).await;
    assert!(r.status().is_success(), "{}", r.status());
    let digest: Value = r.json().await.unwrap();
    let digest_id = digest["id"].as_i64().unwrap();
    wait_digest_status(&app, digest_id, "sent").await;

    // One-click unsubscribe, then erasure.
    let r = app
        .post_form(
            &format!("/subscriptions/unsubscribe?token={unsubscribe}"),
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = admin(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/admin/subscribers/{email}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 204);

    let want = [
        "subscriber.confirmed",
        "digest.sent",
        "subscriber.unsubscribed",
        "subscriber.erased",
    ];
    let state = receiver.wait_for(&want).await;
    assert_eq!(state["bad_signatures"], 0, "{state}");
    assert_eq!(state["failed"], 3, "{state}");
    let events = state["events"].as_object().unwrap();
    let mut types: Vec<&str> = events
        .values()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    types.sort();
    let mut sorted = want.to_vec();
    sorted.sort();
    assert_eq!(types, sorted, "each event once: {state}");
    // Accepted once each: a repeat of one id would be a retry after a
    // lost answer, which this receiver never causes.
    let mut accepted: BTreeMap<&str, usize> = BTreeMap::new();
    for a in state["accepted"].as_array().unwrap() {
        *accepted.entry(a.as_str().unwrap()).or_default() += 1;
    }
    assert!(accepted.values().all(|n| *n == 1), "{state}");
    assert_eq!(state["calls"], 3 + 4, "{state}");
    for e in events.values() {
        assert!(e["timestamp"].is_string(), "{e}");
        match e["type"].as_str().unwrap() {
            "digest.sent" => {
                assert_eq!(e["data"]["digest_id"], digest_id);
                assert_eq!(e["data"]["newsletter"], "daily");
                assert_eq!(e["data"]["recipients"], 1);
            }
            "subscriber.erased" => assert_eq!(e["data"], json!({ "email": email })),
            _ => {
                assert_eq!(e["data"]["email"], email.as_str());
                assert_eq!(e["data"]["newsletter"], "daily");
            }
        }
    }

    // The log shows the failures and the deliveries.
    let endpoint = wait_endpoint(&app, id, |w| w["pending"] == 0).await;
    assert_eq!(endpoint["failing_since"], Value::Null);
    let log = attempts(&app, id).await;
    let failed: Vec<&Value> = log.iter().filter(|a| a["status_code"] == 500).collect();
    assert_eq!(failed.len(), 3, "{log:?}");
    assert!(failed.iter().all(|a| a["error"] == "HTTP status 500"
        && a["response"]
            .as_str()
            .unwrap()
            .contains("failing on purpose")));
    assert_eq!(log.iter().filter(|a| a["status_code"] == 204).count(), 4);
    assert!(log
        .iter()
        .all(|a| a["delivered"] == true && a["attempted_at"].is_string()));
    // Paged with the `next` cursor, newest first.
    let first: Value = app
        .admin_get(&format!("/api/admin/webhooks/{id}/deliveries?limit=4"))
        .await
        .json()
        .await
        .unwrap();
    let next = first["next"].as_str().expect("a next page");
    let rest: Value = app
        .admin_get(&format!(
            "/api/admin/webhooks/{id}/deliveries?limit=4&after={next}"
        ))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = first["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["attempts"].as_array().unwrap())
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    let all: Vec<i64> = log.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, all);
    assert!(ids.windows(2).all(|w| w[0] > w[1]));
    assert_eq!(rest["next"], Value::Null);
    // Retries of one event carry its one id.
    let retried = failed[0]["event_id"].as_str().unwrap();
    assert!(
        events.contains_key(retried),
        "{retried} was delivered in the end"
    );
}

#[tokio::test]
async fn an_endpoint_failing_for_the_configured_window_is_disabled_with_a_notice() {
    let app = spawn_app_with(&[
        ("feeds_allow_private", "true"),
        ("webhook_retry_base", "50ms"),
        ("webhook_disable_after", "1s"),
    ])
    .await;
    app.add_newsletter("daily", "Daily briefing").await;
    let dead = format!("http://127.0.0.1:{}/hook", free_port());
    let created = add_endpoint(&app, &dead, &["subscriber.confirmed"]).await;
    let id = created["id"].as_i64().unwrap();
    crate::helpers::add_confirmed(&app, "daily", &unique_email()).await;

    let disabled = wait_endpoint(&app, id, |w| w["disabled_at"].is_string()).await;
    assert!(
        disabled["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("1 second"),
        "{disabled}"
    );
    assert_eq!(disabled["pending"], 1, "the event waits: {disabled}");
    let log = attempts(&app, id).await;
    assert!(log.len() >= 2, "{log:?}");
    assert!(log.iter().all(|a| a["status_code"].is_null()
        && a["error"].as_str().unwrap().contains("connect")
        && a["delivered"] == false));
    // Disabled: no more attempts, and new events wait too.
    crate::helpers::add_confirmed(&app, "daily", &unique_email()).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(attempts(&app, id).await.len(), log.len());
    let waiting: Value = app
        .admin_get(&format!("/api/admin/webhooks/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(waiting["pending"], 2, "{waiting}");

    let admin_user = signed_in(&app).await;
    let html = get(&app, "/admin/webhooks", &admin_user.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("data-disabled=\"{id}\"")) && html.contains("was disabled"));
    let dashboard = get(&app, "/admin", &admin_user.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        dashboard.contains("was disabled"),
        "a notice on the dashboard too"
    );

    let r = admin(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/admin/webhooks/{id}"),
        Some(json!({ "enabled": true })),
    )
    .await;
    assert_eq!(r.status(), 200);
    let enabled: Value = r.json().await.unwrap();
    assert_eq!(enabled["disabled_at"], Value::Null);
    assert_eq!(enabled["failing_since"], Value::Null);
}

#[tokio::test]
async fn the_address_guard_is_checked_again_when_sending() {
    // Created while allowed (as a name that later resolves to a private
    // address would be): the dispatcher of a guarded server refuses it.
    let app = spawn_app_with(&[("webhook_retry_base", "10s")]).await;
    app.add_newsletter("daily", "Daily briefing").await;
    let mut receiver = Receiver::start(0).await;
    let secret = herald::webhooks::new_secret();
    receiver.give_secret(&secret).await;
    let id = app
        .store
        .create_webhook(
            &receiver.url(),
            &secret,
            &[herald::domain::EventType::Confirmed],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    crate::helpers::add_confirmed(&app, "daily", &unique_email()).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let log = loop {
        let log = attempts(&app, id).await;
        if !log.is_empty() {
            break log;
        }
        assert!(std::time::Instant::now() < deadline, "no attempt was made");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        log[0]["error"].as_str().unwrap().contains("refused"),
        "{log:?}"
    );
    assert_eq!(receiver.state().await["calls"], 0);
}
