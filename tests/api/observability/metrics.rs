//! `/metrics` counts HTTP requests by method, route pattern and status, with
//! a latency histogram per route, and what readers did: a signup, its
//! confirmation and an unsubscribe each count once, also when the link is
//! used again. The server is a process of its own, so the counts are exact.

use std::collections::BTreeMap;

use super::serve;
use crate::helpers::{confirm, confirm_token_for, link_token, random_hex, unique_email, TestApp};

/// `/metrics` as a map from series (`name{labels}`) to value, and the text.
async fn scrape(app: &TestApp) -> (BTreeMap<String, f64>, String) {
    let r = app.admin_get("/metrics").await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let series = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("`series value`");
            (series.to_string(), value.parse().expect("a number"))
        })
        .collect();
    (series, text)
}

fn requests(method: &str, route: &str, status: u16) -> String {
    format!(
        "herald_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}}"
    )
}

#[tokio::test]
async fn signups_confirmations_unsubscribes_and_requests_by_route_are_counted() {
    let token = random_hex(40);
    let server = serve(&[("HERALD_ADMIN_TOKEN", token.as_str())], &token).await;
    let app = &server.app;
    let (before, _) = scrape(app).await;
    for name in [
        "herald_signups_total",
        "herald_confirmations_total",
        "herald_unsubscribes_total",
    ] {
        assert_eq!(before[name], 0.0, "{name}");
    }

    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    let confirm_token = confirm_token_for(&email).await;
    // Twice: the second click changes nothing, and counts nothing.
    let r = confirm(app, &confirm_token).await;
    assert_eq!(r.status(), 200);
    let page = r
        .text()
        .await
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    confirm(app, &confirm_token).await;
    let unsubscribe = link_token(&page, "unsubscribe");
    for _ in 0..2 {
        let r = app
            .post_form(
                &format!("/subscriptions/unsubscribe?token={unsubscribe}"),
                "List-Unsubscribe=One-Click",
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("unsubscribed")
    );
    let r = app
        .client
        .get(app.url(&format!("/nowhere/{confirm_token}?token={unsubscribe}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    let (after, text) = scrape(app).await;
    assert_eq!(after["herald_signups_total"], 1.0);
    assert_eq!(after["herald_confirmations_total"], 1.0);
    assert_eq!(after["herald_unsubscribes_total"], 1.0);
    assert_eq!(after[&requests("POST", "/api/admin/newsletters", 201)], 1.0);
    assert_eq!(after[&requests("POST", "/subscriptions", 202)], 1.0);
    assert_eq!(after[&requests("POST", "/subscriptions/confirm", 200)], 2.0);
    assert_eq!(
        after[&requests("POST", "/subscriptions/unsubscribe", 200)],
        2.0
    );
    assert_eq!(after[&requests("GET", "unmatched", 404)], 1.0);
    // The scrape before this one; this one is answered after it renders.
    assert_eq!(after[&requests("GET", "/metrics", 200)], 1.0);
    assert!(after[&requests("GET", "/health", 200)] >= 1.0);
    // The latency histogram, by route: cumulative buckets ending at the count.
    let hist = "herald_http_request_duration_seconds";
    assert_eq!(
        after[&format!("{hist}_count{{route=\"/subscriptions\"}}")],
        1.0
    );
    assert_eq!(
        after[&format!("{hist}_bucket{{route=\"/subscriptions/confirm\",le=\"+Inf\"}}")],
        2.0
    );
    assert!(after[&format!("{hist}_sum{{route=\"/subscriptions\"}}")] > 0.0);
    assert!(text.contains(&format!("# TYPE {hist} histogram\n")));
    // Routes are patterns: no token, address or query in any label.
    for secret in [&confirm_token, &unsubscribe, &email] {
        assert!(!text.contains(secret.as_str()), "{secret} in\n{text}");
    }
    // The delivery series are still there, beside the new ones.
    assert!(after.contains_key("herald_messages_sent_total{kind=\"confirm\"}"));
    assert!(after.contains_key("herald_queue_depth{status=\"queued\"}"));
    server.stop().await;
}
