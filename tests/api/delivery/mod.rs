//! The delivery engine under faults: temporary and permanent SMTP replies,
//! a struggling relay, processes killed or stopped mid-send, and several
//! workers sharing one queue.
//! Shared helpers live here.

mod priority;
mod smtp_replies;
mod workers;

use serde_json::Value;

use crate::helpers::{add_item, random_hex, send_digest, TestApp};

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
