//! Putting the signup form on a news site: CORS for the listed origins,
//! the 403 for other sites, `return_to`, `/embed.js`, and the start
//! refused when `HERALD_ALLOWED_ORIGINS` holds something that isn't an origin.

mod config;
mod cors;
mod return_to;
mod script;
mod snippet;

use crate::helpers::{spawn_app_with, TestApp};

/// The news site the tests embed the form on.
const NEWS: &str = "https://news.example";

/// A Herald that lets `NEWS` (and a local page) embed its form, with one
/// newsletter, `daily`.
async fn news_app() -> TestApp {
    let app = spawn_app_with(&[(
        "allowed_origins",
        "https://news.example, http://127.0.0.1:8000",
    )])
    .await;
    app.add_newsletter("daily", "Daily").await;
    app
}

/// A form body with every pair percent-encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// A POST to `/subscriptions` with an optional `Origin` header, and the
/// `Sec-Fetch-Site` a browser would send with it.
async fn post(
    app: &TestApp,
    origin: Option<&str>,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/subscriptions"))
        .header("Content-Type", content_type)
        .body(body);
    if let Some(o) = origin {
        let site = if o == app.address {
            "same-origin"
        } else {
            "cross-site"
        };
        req = req.header("Origin", o).header("Sec-Fetch-Site", site);
    }
    req.send().await.unwrap()
}

/// A response header as text, if present.
fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

/// Every subscriber of `daily` and every message, whatever its state.
async fn stored(app: &TestApp) -> (usize, i64) {
    let subs = crate::helpers::subscribers(app, "daily").await.len();
    let messages = app
        .store
        .message_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, n)| n)
        .sum();
    (subs, messages)
}

/// The console's snippet for `daily`, as an admin copies it (unescaped).
async fn console_snippet(app: &TestApp) -> String {
    let admin = crate::console::signed_in(app).await;
    let html = crate::console::get(app, "/admin/newsletters/daily", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    let start = html.find("<code id=\"snippet\">").expect("a snippet") + 19;
    let end = start + html[start..].find("</code>").unwrap();
    html_escape::decode_html_entities(&html[start..end]).into_owned()
}
