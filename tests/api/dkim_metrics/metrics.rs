//! `/metrics`: behind the admin token, counting sends, retries, failures and
//! skips, and showing the queue depth.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{
    add_confirmed, free_port, set_status, spawn_app, spawn_app_with, unique_email, wait_for_emails,
    TestApp,
};

use super::*;

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
