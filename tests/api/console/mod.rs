//! The web console at /admin over real HTTP: sign-in and sessions, CSRF
//! and Origin checks, escaping, security headers, and a digest sent and
//! followed to 100 % from its pages. Shared helpers live here.

mod auth;
mod digests;
mod flood;
mod pages;
mod prompt;
mod schedule;
mod sends;
mod sessions;
mod subscribers;

use herald::admins::password;

use crate::helpers::{unique_email, TestApp};

const PASSWORD: &str = "correct horse battery";

/// Creates an admin through the store, as `herald admin add` does.
pub(super) async fn add_admin(app: &TestApp, email: &str, secret: &str) {
    add_admin_to(&app.store, email, secret).await;
}

pub(super) async fn add_admin_to(store: &herald::store::Store, email: &str, secret: &str) {
    let hash = password::hash(secret).unwrap();
    store
        .upsert_admin_user(email, &hash, chrono::Utc::now())
        .await
        .unwrap();
}

pub(super) fn origin(app: &TestApp) -> String {
    app.address.clone()
}

pub(super) async fn sign_in_as(
    app: &TestApp,
    email: &str,
    secret: &str,
    origin: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/admin/sign-in"))
        .header("Origin", origin)
        .form(&[("email", email), ("password", secret)])
        .send()
        .await
        .unwrap()
}

/// The `herald_session=…` pair a response sets, if any.
pub(super) fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("herald_session=") && !v.starts_with("herald_session=;"))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// A signed-in admin: the cookie to send and the session's CSRF token.
pub(super) struct Admin {
    pub(super) cookie: String,
    pub(super) csrf: String,
}

pub(super) async fn signed_in(app: &TestApp) -> Admin {
    let email = unique_email();
    add_admin(app, &email, PASSWORD).await;
    let r = sign_in_as(app, &email, PASSWORD, &origin(app)).await;
    assert_eq!(r.status(), 303);
    let cookie = session_cookie(&r).expect("a session cookie");
    let html = get(app, "/admin", &cookie).await.text().await.unwrap();
    Admin {
        csrf: csrf_in(&html),
        cookie,
    }
}

pub(super) fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..].chars().take_while(|c| *c != '"').collect()
}

pub(super) async fn get(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
}

pub(super) async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    origin: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("Cookie", cookie)
        .form(form);
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    req.send().await.unwrap()
}

pub(super) async fn newsletter_exists(app: &TestApp, slug: &str) -> bool {
    app.admin_get(&format!("/api/admin/newsletters/{slug}"))
        .await
        .status()
        == 200
}

/// Runs the real `herald admin add EMAIL` on the test's database, with the
/// password on stdin. Asynchronously: the test's server shares this
/// thread, and must be free to finish what it writes meanwhile.
pub(super) async fn herald_admin_add(
    app: &TestApp,
    email: &str,
    stdin: &str,
) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(["admin", "add", email])
        .env("HERALD_DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    child.wait_with_output().await.unwrap()
}
