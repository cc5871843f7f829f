//! `Idempotency-Key` on every admin POST that creates something: a repeat
//! answers as the first time without doing it again, another body with the
//! key is refused, bad keys are refused, racing requests do the work once
//! (`routes`); keys are scoped per route and newsletter, expire after a
//! day, and a claim left behind is taken over (`lifetime`). The five routes
//! are described once here, as [`Case`]s.

mod lifetime;
mod routes;

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{json, Value};

use crate::helpers::{random_hex, subscribers, TestApp};

/// One route that creates something, with two different bodies for it.
#[derive(Clone)]
struct Case {
    path: String,
    content_type: &'static str,
    body: String,
    other_body: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Newsletters,
    Subscribers,
    Import,
    FeedItems,
    Feeds,
}

impl Route {
    const ALL: [Route; 5] = [
        Route::Newsletters,
        Route::Subscribers,
        Route::Import,
        Route::FeedItems,
        Route::Feeds,
    ];

    /// How many things one request creates.
    fn creates(self) -> usize {
        match self {
            Route::Import => 2,
            _ => 1,
        }
    }
}

/// The newsletter every case that needs one works in.
const SLUG: &str = "daily";

/// A case for `route` whose bodies name things no other case names.
fn case(route: Route) -> Case {
    case_in(route, SLUG)
}

/// As [`case`], in newsletter `slug` (for the routes that have one).
fn case_in(route: Route, slug: &str) -> Case {
    let (a, b) = (random_hex(10), random_hex(10));
    let json = "application/json";
    let (path, content_type, body, other_body) = match route {
        Route::Newsletters => (
            "/api/admin/newsletters".to_string(),
            json,
            json!({"slug": format!("n{a}"), "name": "Weekly"}).to_string(),
            json!({"slug": format!("n{b}"), "name": "Weekly"}).to_string(),
        ),
        Route::Subscribers => (
            format!("/api/admin/newsletters/{slug}/subscribers"),
            json,
            add_body(&a),
            add_body(&b),
        ),
        Route::Import => (
            format!("/api/admin/newsletters/{slug}/subscribers/import?confirmed=true&consent=paper+form"),
            "text/csv",
            format!("email,name\nr{a}@example.com,Ada\ns{a}@example.com,Bo\n"),
            format!("email,name\nr{b}@example.com,Ada\ns{b}@example.com,Bo\n"),
        ),
        Route::FeedItems => (
            "/api/admin/feed-items".to_string(),
            json,
            item_body(&a),
            item_body(&b),
        ),
        Route::Feeds => (
            "/api/admin/feeds".to_string(),
            json,
            json!({"url": format!("http://127.0.0.1:9/{a}"), "interval_secs": 3600}).to_string(),
            json!({"url": format!("http://127.0.0.1:9/{b}"), "interval_secs": 3600}).to_string(),
        ),
    };
    Case {
        path,
        content_type,
        body,
        other_body,
    }
}

fn add_body(tag: &str) -> String {
    json!({"email": format!("a{tag}@example.com"), "status": "confirmed", "consent": "paper form"})
        .to_string()
}

fn item_body(tag: &str) -> String {
    json!({"title": format!("Item {tag}"), "url": format!("https://news.example/{tag}"),
        "summary": "S", "published_at": "2025-01-01T00:00:00Z"})
    .to_string()
}

/// A POST of `body` for `case` with the admin token and `key` (raw bytes,
/// so that keys reqwest would refuse can be sent too).
async fn post(app: &TestApp, case: &Case, key: Option<&[u8]>, body: &str) -> reqwest::Response {
    let mut headers = HeaderMap::new();
    if let Some(k) = key {
        headers.insert("Idempotency-Key", HeaderValue::from_bytes(k).unwrap());
    }
    app.client
        .post(app.url(&case.path))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", case.content_type)
        .headers(headers)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// A request's status, body (as JSON) and whether it was a replay.
async fn answer(r: reqwest::Response) -> (u16, Value, bool) {
    let replayed = r.headers().get("idempotent-replayed").is_some();
    (r.status().as_u16(), r.json().await.unwrap(), replayed)
}

/// How many of the things `route` creates exist, from the list endpoints.
async fn count(app: &TestApp, route: Route, slug: &str) -> usize {
    let list = |path: &'static str, field: &'static str| async move {
        let r = app.admin_get(path).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v[field].as_array().unwrap().len()
    };
    match route {
        Route::Newsletters => list("/api/admin/newsletters", "newsletters").await,
        Route::Subscribers | Route::Import => subscribers(app, slug).await.len(),
        Route::FeedItems => list("/api/admin/feed-items?limit=1000", "items").await,
        Route::Feeds => list("/api/admin/feeds", "feeds").await,
    }
}

/// A fresh key.
fn new_key() -> Vec<u8> {
    format!("key-{}", random_hex(16)).into_bytes()
}

/// The error code of a JSON error answer.
fn code(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}
