//! `POST /subscriptions` against hostile and malformed input: the address
//! rules, every 4xx the contract names, the honeypot and the rate limit.
//! Shared helpers live here.

mod abuse;
mod bodies;
mod emails;
mod guesses;
mod outage;
mod privacy;
mod routes;

use serde_json::Value;

use crate::helpers::{random_hex, subscribers, TestApp};

const INVALID_EMAIL: &str = "Please, enter correct email address";

/// Request headers, as name/value pairs.
type Headers<'a> = Vec<(&'a str, &'a str)>;

/// A form body with every pair percent-encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// Messages in the outgoing queue, whatever their state.
async fn all_messages(app: &TestApp) -> i64 {
    app.store
        .message_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .sum()
}

/// Nothing reached the database: no subscriber, no queued or sent email.
async fn assert_nothing_stored(app: &TestApp, slug: &str) {
    let subs = subscribers(app, slug).await;
    assert!(subs.is_empty(), "stored: {subs:?}");
    assert_eq!(
        app.message_count("queued").await + app.message_count("sent").await,
        0
    );
    assert_eq!(all_messages(app).await, 0);
}

/// A POST of raw bytes with the given headers.
async fn post_raw(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

async fn error_json(r: reqwest::Response) -> Value {
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "content type {ct}");
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    assert!(body["message"].is_string(), "{body}");
    body
}

/// `local@domain` where the domain (labels of at most 63 octets) makes the
/// whole address exactly `total` octets long, with a 64-octet local part.
fn address_of_length(total: usize) -> String {
    let local = random_hex(64);
    // "@", then labels each followed by a dot, then "com"
    let mut left = total - 64 - 1 - 3;
    let mut labels = Vec::new();
    let fill = ['d', 'e', 'f', 'g'];
    let mut i = 0;
    while left > 0 {
        // a label, plus the dot that follows it
        let len = (left - 1).min(63);
        assert!(len > 0);
        labels.push(fill[i % fill.len()].to_string().repeat(len));
        left -= len + 1;
        i += 1;
    }
    let address = format!("{local}@{}.com", labels.join("."));
    assert_eq!(address.len(), total);
    address
}
