//! The honeypot and the signup rate limit, per client IP and behind proxies.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, subscribers, unique_email, TestApp};

use super::*;

#[tokio::test]
async fn a_filled_honeypot_is_answered_like_a_signup_and_dropped() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let bot_json = unique_email();
    let bot_form = unique_email();

    let r = app
        .post_json(
            "/subscriptions",
            &json!({ "email": bot_json, "newsletter": "daily", "website": "http://spam.example" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"status": "pending"})
    );

    let r = app
        .post_form(
            "/subscriptions",
            &form(&[
                ("email", &bot_form),
                ("newsletter", "daily"),
                ("website", "spam"),
            ]),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/subscriptions/pending");
    let honeypot_form_body = r.bytes().await.unwrap();

    assert_eq!(app.status_of("daily", &bot_json).await, None);
    assert_eq!(app.status_of("daily", &bot_form).await, None);
    assert_nothing_stored(&app, "daily").await;

    // A real signup gets the very same answers.
    let human = unique_email();
    let r = app
        .post_json(
            "/subscriptions",
            &json!({ "email": human, "newsletter": "daily", "website": "" }),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"status": "pending"})
    );
    let human2 = unique_email();
    let r = app
        .post_form(
            "/subscriptions",
            &form(&[("email", &human2), ("newsletter", "daily"), ("website", "")]),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/subscriptions/pending");
    assert_eq!(r.bytes().await.unwrap(), honeypot_form_body);
    assert_eq!(
        app.status_of("daily", &human).await.as_deref(),
        Some("pending")
    );
    assert_eq!(subscribers(&app, "daily").await.len(), 2);
}

fn retry_after(r: &reqwest::Response) -> u64 {
    let value = r
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap();
    let secs: u64 = value
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After {value:?} is not delta-seconds"));
    assert!(secs > 0, "Retry-After {secs}");
    secs
}

#[tokio::test]
async fn the_third_signup_in_a_minute_gets_429() {
    let app = spawn_app_with(&[("signup_rate", "2/min")]).await;
    app.add_newsletter("daily", "Daily").await;
    let (a, b, c) = (unique_email(), unique_email(), unique_email());
    assert_eq!(app.signup(&a, &["daily"]).await.status(), 202);
    assert_eq!(app.signup(&b, &["daily"]).await.status(), 202);
    let r = app.signup(&c, &["daily"]).await;
    assert_eq!(r.status(), 429);
    assert!(retry_after(&r) <= 60);
    assert_eq!(error_json(r).await["error"], "too_many_requests");
    // A form is limited the same way.
    let r = app
        .post_form(
            "/subscriptions",
            &form(&[("email", &c), ("newsletter", "daily")]),
        )
        .await;
    assert_eq!(r.status(), 429);
    retry_after(&r);
    assert_eq!(app.status_of("daily", &c).await, None);
    assert_eq!(subscribers(&app, "daily").await.len(), 2);
}

#[tokio::test]
async fn honeypot_hits_count_against_the_rate_limit() {
    let app = spawn_app_with(&[("signup_rate", "2/min")]).await;
    app.add_newsletter("daily", "Daily").await;
    let bot = json!({ "email": unique_email(), "newsletter": "daily", "website": "x" });
    assert_eq!(app.post_json("/subscriptions", &bot).await.status(), 202);
    assert_eq!(app.post_json("/subscriptions", &bot).await.status(), 202);
    let r = app.post_json("/subscriptions", &bot).await;
    assert_eq!(r.status(), 429);
    retry_after(&r);
    let human = unique_email();
    let r = app.signup(&human, &["daily"]).await;
    assert_eq!(r.status(), 429, "the bot's client has used its budget");
    assert_nothing_stored(&app, "daily").await;
}

async fn signup_from(app: &TestApp, forwarded_for: &str) -> reqwest::Response {
    app.client
        .post(app.url("/subscriptions"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({ "email": unique_email(), "newsletter": "daily" }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_ip_has_its_own_budget() {
    let app = spawn_app_with(&[("signup_rate", "2/min"), ("trusted_proxies", "127.0.0.1")]).await;
    app.add_newsletter("daily", "Daily").await;
    for ip in ["203.0.113.7", "198.51.100.23", "2001:db8::1"] {
        assert_eq!(signup_from(&app, ip).await.status(), 202, "{ip} 1st");
        assert_eq!(signup_from(&app, ip).await.status(), 202, "{ip} 2nd");
        let r = signup_from(&app, ip).await;
        assert_eq!(r.status(), 429, "{ip} 3rd");
        retry_after(&r);
    }
    // The right-most untrusted hop counts: a spoofed left-most entry doesn't
    // buy a new budget.
    let r = signup_from(&app, "192.0.2.99, 203.0.113.7").await;
    assert_eq!(r.status(), 429);
    assert_eq!(subscribers(&app, "daily").await.len(), 6);
}

#[tokio::test]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(&[("signup_rate", "2/min")]).await;
    app.add_newsletter("daily", "Daily").await;
    assert_eq!(signup_from(&app, "203.0.113.1").await.status(), 202);
    assert_eq!(signup_from(&app, "203.0.113.2").await.status(), 202);
    let r = signup_from(&app, "203.0.113.3").await;
    assert_eq!(r.status(), 429, "the socket address counts, not the header");
    retry_after(&r);
}

/// `X-Forwarded-For` may arrive as several header lines (a proxy that adds
/// its own line instead of appending to the client's); together they are one
/// list, and only its right-most untrusted entry may be believed.
#[tokio::test]
async fn a_client_cannot_escape_the_limit_with_its_own_forwarded_for_line() {
    let app = spawn_app_with(&[("signup_rate", "2/min"), ("trusted_proxies", "127.0.0.1")]).await;
    app.add_newsletter("daily", "Daily").await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        // The client's forged line first, then the line the proxy added.
        let r = app
            .client
            .post(app.url("/subscriptions"))
            .header("X-Forwarded-For", format!("192.0.2.{}", 10 + i))
            .header("X-Forwarded-For", "203.0.113.7")
            .json(&json!({ "email": unique_email(), "newsletter": "daily" }))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![202, 202, 429, 429], "all from 203.0.113.7");
}
