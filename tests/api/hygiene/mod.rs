//! List hygiene: addresses that bounce or complain are suppressed and get
//! no more digests; the suppression list; lifting a suppression.

mod edges;
mod send_time;
mod suppression_list;

use serde_json::Value;

use crate::helpers::{add_item, random_hex, send_digest, TestApp};

/// Adds a fresh item and starts a digest of `daily`; its id.
async fn start_digest(app: &TestApp) -> i64 {
    add_item(
        app,
        &format!("News {}", random_hex(6)),
        "https://news.example/n",
        "",
    )
    .await;
    let r = send_digest(app, "daily", None).await;
    assert_eq!(r.status(), 202);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// The suppression list's first page.
async fn suppressions(app: &TestApp) -> Vec<Value> {
    let r = app.admin_get("/api/admin/suppressions").await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["suppressions"]
        .as_array()
        .unwrap()
        .clone()
}

/// The suppression of `email`, if it has one.
async fn suppression_of(app: &TestApp, email: &str) -> Option<Value> {
    suppressions(app)
        .await
        .into_iter()
        .find(|s| s["email"] == email)
}

/// The token of a link in a raw quoted-printable message.
fn token_in_raw(raw: &str, action: &str) -> String {
    let text = raw.replace("=\r\n", "").replace("=3D", "=");
    crate::helpers::link_token(&text, action)
}
