//! Requests made as the admin (bearer token) and the public confirm step:
//! request builders, a subscriber's status, a newsletter's subscribers.

use serde_json::{json, Value};

use super::TestApp;

/// A POST of `body` as JSON with the admin token.
pub async fn admin_post(
    app: &TestApp,
    path: &str,
    body: impl serde::Serialize,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(&app.admin_token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A request of any method with the admin token and an optional JSON body.
pub async fn admin(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin_token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

/// Sets the status of `email` in newsletter `slug` through the admin API.
pub async fn set_status(app: &TestApp, slug: &str, email: &str, status: &str) -> reqwest::Response {
    app.client
        .patch(app.url(&format!(
            "/api/admin/newsletters/{slug}/subscribers/{email}"
        )))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "status": status }))
        .send()
        .await
        .unwrap()
}

/// Every subscriber of `slug`, as the admin API lists them.
pub async fn subscribers(app: &TestApp, slug: &str) -> Vec<Value> {
    let r = app
        .admin_get(&format!(
            "/api/admin/newsletters/{slug}/subscribers?limit=1000"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    page["subscribers"].as_array().unwrap().clone()
}

/// Confirms a signup with `token`, as the confirmation page's form does.
pub async fn confirm(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_form("/subscriptions/confirm", &format!("token={token}"))
        .await
}
