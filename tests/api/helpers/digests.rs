//! Digest fixtures through the admin API: confirmed readers, feed items,
//! sending a digest and waiting on its status.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{admin_post, unique_email, TestApp};

/// Adds `email` to `slug` as already confirmed.
pub async fn add_confirmed(app: &TestApp, slug: &str, email: &str) {
    let r = admin_post(
        app,
        &format!("/api/admin/newsletters/{slug}/subscribers"),
        json!({"email": email, "status": "confirmed", "consent": "test fixture"}),
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());
}

/// `n` confirmed readers of "daily" through one CSV import.
pub async fn readers(app: &TestApp, n: usize) -> Vec<String> {
    let emails: Vec<String> = (0..n).map(|_| unique_email()).collect();
    let r =
        app.client
            .post(app.url(
                "/api/admin/newsletters/daily/subscribers/import?confirmed=true&consent=fixture",
            ))
            .bearer_auth(&app.admin_token)
            .header("Content-Type", "text/csv")
            .body(format!("email\n{}\n", emails.join("\n")))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    emails
}

pub async fn add_item(app: &TestApp, title: &str, url: &str, summary: &str) -> Value {
    let r = admin_post(
        app,
        "/api/admin/feed-items",
        json!({"title": title, "url": url, "summary": summary}),
    )
    .await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

pub async fn send_digest(app: &TestApp, slug: &str, key: Option<&str>) -> reqwest::Response {
    let mut r = app
        .client
        .post(app.url(&format!("/api/admin/newsletters/{slug}/digests")))
        .bearer_auth(&app.admin_token);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    r.send().await.unwrap()
}

pub async fn digest(app: &TestApp, id: i64) -> Value {
    app.admin_get(&format!("/api/admin/digests/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

pub async fn wait_digest_status(app: &TestApp, id: i64, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = digest(app, id).await;
        if d["status"] == status {
            return d;
        }
        assert!(
            Instant::now() < deadline,
            "digest never became {status}: {d}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
