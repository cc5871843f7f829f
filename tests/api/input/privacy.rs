//! Limits per network rather than per address, and what the consent log
//! keeps of a request.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{admin, spawn_app_with, unique_email};

async fn signup_from(app: &crate::helpers::TestApp, forwarded_for: &str) -> u16 {
    app.client
        .post(app.url("/subscriptions"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({ "email": unique_email(), "newsletter": "daily" }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// One subscriber line holds a whole IPv6 /64: rotating addresses inside it
/// buys no new budget, while the next /64 has its own.
#[tokio::test]
async fn ipv6_clients_are_limited_per_64() {
    let app = spawn_app_with(&[("signup_rate", "2/min"), ("trusted_proxies", "127.0.0.1")]).await;
    app.add_newsletter("daily", "Daily").await;
    let same_64 = [
        "2001:db8:7:1::1",
        "2001:db8:7:1::2",
        "2001:db8:7:1:ffff:ffff:ffff:ffff",
    ];
    let statuses = [
        signup_from(&app, same_64[0]).await,
        signup_from(&app, same_64[1]).await,
        signup_from(&app, same_64[2]).await,
    ];
    assert_eq!(statuses, [202, 202, 429]);
    assert_eq!(signup_from(&app, "2001:db8:7:2::1").await, 202);
}

/// The Referer of a signup is consent evidence, but its query string (which
/// may hold a token or a tracking id) and any credentials are not kept.
#[tokio::test]
async fn the_consent_log_keeps_the_referer_without_its_query() {
    let app = spawn_app_with(&[]).await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let r = app
        .client
        .post(app.url("/subscriptions"))
        .header(
            "Referer",
            "https://reader:pw@news.example/story/7?token=s3cret&utm=x#comments",
        )
        .form(&[("email", email.as_str()), ("newsletter", "daily")])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let data: serde_json::Value = admin(
        &app,
        Method::GET,
        &format!("/api/admin/subscribers/{email}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let all = data["consent"].to_string();
    assert!(all.contains("https://news.example/story/7"), "{all}");
    for secret in ["s3cret", "utm", "comments", "reader", "pw@"] {
        assert!(!all.contains(secret), "{secret} in {all}");
    }
}
