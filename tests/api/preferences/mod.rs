//! Readers manage their subscriptions: the manage link in every digest and
//! welcome email, the preference page, "email me my link", the welcome
//! email, and an editor's test send. Shared helpers live here.

mod manage;
mod test_send;
mod welcome;

use serde_json::{json, Value};

use crate::helpers::{add_confirmed, add_item, link_token, send_digest, wait_for_emails, TestApp};

/// Sends a digest of one new item to `reader` (confirmed in "daily") and
/// answers the manage token from the digest email.
async fn manage_token_from_digest(app: &TestApp, reader: &str) -> String {
    add_confirmed(app, "daily", reader).await;
    add_item(app, "Rates rise", "https://news.example/rates", "").await;
    assert_eq!(send_digest(app, "daily", None).await.status(), 202);
    let mails = wait_for_emails(reader, 1).await;
    let text = mails[0]["text"].as_str().unwrap();
    let html = mails[0]["html"].as_str().unwrap();
    let token = link_token(text, "manage");
    assert_eq!(
        link_token(html, "manage"),
        token,
        "the same link in both parts"
    );
    token
}

async fn manage_page(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/subscriptions/manage?token={token}")))
        .send()
        .await
        .unwrap()
}

async fn manage_post(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/subscriptions/manage"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Everything the admin API holds on an address.
async fn address_data(app: &TestApp, email: &str) -> Value {
    let r = app
        .admin_get(&format!("/api/admin/subscribers/{email}"))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn status_in(data: &Value, slug: &str) -> String {
    data["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["newsletter"] == slug)
        .map(|s| s["status"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

fn set_welcome() -> Value {
    json!({
        "welcome_subject": "Welcome to Daily",
        "welcome_body": "# Hello\n\nThanks for joining **Daily**. <script>alert(1)</script> [x](javascript:alert(1))",
    })
}
