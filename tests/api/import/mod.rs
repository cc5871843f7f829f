//! CSV import and export of a newsletter's subscribers: refusals, exact
//! counts and line numbers, confirmation mail for pending imports, consent
//! for confirmed ones, an export that imports back, and a 100,000-row file.
//! Shared helpers live here.

mod counts;
mod export;
mod pending_and_confirmed;

use serde_json::Value;

use crate::helpers::TestApp;

const IMPORT: &str = "/api/admin/newsletters/daily/subscribers/import";

async fn import_as(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Imports `csv` and returns the summary, checking for a 200.
async fn import(app: &TestApp, path: &str, csv: impl Into<reqwest::Body>) -> Value {
    let r = import_as(app, path, "text/csv", csv).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn error_of(r: reqwest::Response, status: u16) -> String {
    assert_eq!(r.status(), status);
    let body: Value = r.json().await.unwrap();
    body["error"].as_str().unwrap().to_string()
}

async fn export(app: &TestApp, slug: &str, query: &str) -> String {
    let r = app
        .admin_get(&format!(
            "/api/admin/newsletters/{slug}/subscribers/export{query}"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/csv"), "{ct}");
    r.text().await.unwrap()
}

/// The rows of an export, as (email, name, status) after checking its header.
fn export_rows(csv: &str) -> Vec<(String, String, String)> {
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("email,name,status,created_at,confirmed_at,unsubscribed_at")
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string(), r[2].to_string())
        })
        .collect()
}

/// An address unique to this test run, under a readable prefix.
fn addr(prefix: &str, run: &str) -> String {
    format!("{prefix}-{run}@example.com")
}
