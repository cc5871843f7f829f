//! The admin API: bearer tokens, newsletters, the subscriber list and its
//! pagination, and tokens made with the command line.
//! Shared helpers live here.

mod auth;
mod limits;
mod newsletters;
mod subscriber_list;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::helpers::TestApp;

/// A request with an optional `Authorization` header value.
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path));
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn admin_post_raw(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.admin_token)
        .body(body.to_string());
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    req.send().await.unwrap()
}

/// The JSON error of a refused request, checking its shape.
async fn error_code(r: reqwest::Response) -> String {
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "content type {ct}");
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].is_string(), "{body}");
    body["error"].as_str().expect("an error code").to_string()
}

async fn newsletter_slugs(app: &TestApp) -> Vec<String> {
    let r = app.admin_get("/api/admin/newsletters").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["newsletters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_string())
        .collect()
}

async fn page(app: &TestApp, query: &str) -> Value {
    let r = app
        .admin_get(&format!("/api/admin/newsletters/daily/subscribers?{query}"))
        .await;
    assert_eq!(r.status(), 200, "{query}");
    r.json().await.unwrap()
}

fn emails(page: &Value) -> Vec<String> {
    page["subscribers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["email"].as_str().unwrap().to_string())
        .collect()
}

fn timestamp(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("a timestamp, got {v}"));
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}
