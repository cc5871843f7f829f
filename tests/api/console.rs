//! The web console at /admin over real HTTP: sign-in and sessions, CSRF
//! and Origin checks, escaping, security headers, and a digest sent and
//! followed to 100 % from its pages.

use std::time::{Duration, Instant};

use herald::routes::console::password;
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with, unique_email, wait_for_emails, TestApp};

const PASSWORD: &str = "correct horse battery";

/// Creates an admin through the store, as `herald admin add` does.
async fn add_admin(app: &TestApp, email: &str, secret: &str) {
    let hash = password::hash(secret).unwrap();
    app.store
        .upsert_admin_user(email, &hash, chrono::Utc::now())
        .await
        .unwrap();
}

fn origin(app: &TestApp) -> String {
    app.address.clone()
}

async fn sign_in_as(app: &TestApp, email: &str, secret: &str, origin: &str) -> reqwest::Response {
    app.client
        .post(app.url("/admin/sign-in"))
        .header("Origin", origin)
        .form(&[("email", email), ("password", secret)])
        .send()
        .await
        .unwrap()
}

/// The `herald_session=…` pair a response sets, if any.
fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("herald_session=") && !v.starts_with("herald_session=;"))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// A signed-in admin: the cookie to send and the session's CSRF token.
struct Admin {
    cookie: String,
    csrf: String,
}

async fn signed_in(app: &TestApp) -> Admin {
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

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a CSRF field") + marker.len();
    html[start..].chars().take_while(|c| *c != '"').collect()
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn post(
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

async fn newsletter_exists(app: &TestApp, slug: &str) -> bool {
    app.admin_get(&format!("/api/admin/newsletters/{slug}"))
        .await
        .status()
        == 200
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in() {
    let app = spawn_app().await;
    for path in [
        "/admin",
        "/admin/newsletters",
        "/admin/feeds",
        "/admin/digests/1",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(r.headers()["location"], "/admin/sign-in", "{path}");
    }
    // A made-up cookie is no session either, and a post changes nothing.
    let r = post(
        &app,
        "/admin/newsletters",
        "herald_session=00ff",
        Some(&origin(&app)),
        &[("slug", "daily"), ("name", "Daily")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(!newsletter_exists(&app, "daily").await);
    let r = app
        .client
        .get(app.url("/admin/sign-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("name=\"password\""));
}

#[tokio::test]
async fn sign_in_sets_a_strict_cookie_and_sign_out_ends_the_session() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    // The address is matched whatever its case.
    let r = sign_in_as(&app, &email.to_uppercase(), PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    assert!(!set.contains("Secure"), "plain http base URL: {set}");
    let cookie = session_cookie(&r).unwrap();

    let r = get(&app, "/admin", &cookie).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(&email), "the admin's address is shown");
    let csrf = csrf_in(&html);

    // Signing out needs the token too.
    let r = post(&app, "/admin/sign-out", &cookie, Some(&origin(&app)), &[]).await;
    assert_eq!(r.status(), 403);
    assert_eq!(get(&app, "/admin", &cookie).await.status(), 200);

    let r = post(
        &app,
        "/admin/sign-out",
        &cookie,
        Some(&origin(&app)),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let r = get(&app, "/admin", &cookie).await;
    assert_eq!(r.status(), 303, "the old cookie no longer works");
}

#[tokio::test]
async fn the_cookie_is_secure_behind_https() {
    let app = spawn_app_with(&[("base_url", "https://news.example")]).await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    // The origin to match is the base URL's, not the socket's.
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 403);
    let r = sign_in_as(&app, &email, PASSWORD, "https://news.example").await;
    assert_eq!(r.status(), 303);
    let set = r.headers()["set-cookie"].to_str().unwrap();
    assert!(set.contains("; Secure"), "{set}");
}

#[tokio::test]
async fn a_wrong_password_or_address_gives_no_session() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    for (who, secret) in [
        (email.as_str(), "wrong password"),
        ("nobody@example.com", PASSWORD),
    ] {
        let r = sign_in_as(&app, who, secret, &origin(&app)).await;
        assert_eq!(r.status(), 401, "{who}");
        assert!(session_cookie(&r).is_none());
        let html = r.text().await.unwrap();
        assert!(
            html.contains("don&#x27;t match") || html.contains("don't match"),
            "{html}"
        );
    }
    // Empty fields and a body that isn't a form are refused plainly.
    let r = sign_in_as(&app, "", "", &origin(&app)).await;
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .post(app.url("/admin/sign-in"))
        .header("Origin", origin(&app))
        .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert!(session_cookie(&r).is_none());
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited_per_address() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    for _ in 0..5 {
        let r = sign_in_as(&app, &email, "not it at all", &origin(&app)).await;
        assert_eq!(r.status(), 401);
    }
    // Even the right password is refused now, before it is checked.
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(session_cookie(&r).is_none());
    // Another admin from elsewhere is not locked out by this address.
    let other = unique_email();
    add_admin(&app, &other, PASSWORD).await;
    let r = sign_in_as(&app, &other, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn failed_sign_ins_are_rate_limited_per_client() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    for i in 0..20 {
        let r = sign_in_as(
            &app,
            &format!("guess-{i}@example.com"),
            "guess",
            &origin(&app),
        )
        .await;
        assert_eq!(r.status(), 401);
    }
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 429, "this client used up its failures");
}

#[tokio::test]
async fn sign_in_from_another_origin_is_refused() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    let r = sign_in_as(&app, &email, PASSWORD, "http://evil.example").await;
    assert_eq!(r.status(), 403);
    assert!(session_cookie(&r).is_none());
    // No Origin and no Referer: refused too.
    let r = app
        .client
        .post(app.url("/admin/sign-in"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A same-origin Referer stands in for a missing Origin.
    let r = app
        .client
        .post(app.url("/admin/sign-in"))
        .header("Referer", app.url("/admin/sign-in"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn forms_without_the_token_or_from_elsewhere_change_nothing() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let cases: [(Option<&str>, Option<&str>, &str); 4] = [
        (Some(&here), None, "no token"),
        (Some(&here), Some("0123abcd"), "a wrong token"),
        (
            Some("http://evil.example"),
            Some(&admin.csrf),
            "another origin",
        ),
        (None, Some(&admin.csrf), "no origin at all"),
    ];
    for (origin, token, why) in cases {
        let mut form = vec![("slug", "daily"), ("name", "Daily")];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let r = post(&app, "/admin/newsletters", &admin.cookie, origin, &form).await;
        assert_eq!(r.status(), 403, "{why}");
        assert!(!newsletter_exists(&app, "daily").await, "{why}");
    }
    // Another session's token is no good either.
    let other = signed_in(&app).await;
    let r = post(
        &app,
        "/admin/newsletters",
        &admin.cookie,
        Some(&here),
        &[("slug", "daily"), ("name", "Daily"), ("csrf", &other.csrf)],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert!(!newsletter_exists(&app, "daily").await);

    let r = post(
        &app,
        "/admin/newsletters",
        &admin.cookie,
        Some(&here),
        &[("slug", "daily"), ("name", "Daily"), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin/newsletters/daily");
    assert!(newsletter_exists(&app, "daily").await);
}

#[tokio::test]
async fn what_subscribers_and_feeds_wrote_is_shown_as_text() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily <i>briefing</i>").await;
    let email = unique_email();
    let r = app
        .client
        .post(app.url("/api/admin/newsletters/daily/subscribers"))
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({
            "email": email, "name": "<script>alert(1)</script>",
            "status": "confirmed", "consent": "test"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let admin = signed_in(&app).await;
    let r = get(&app, "/admin/newsletters/daily/subscribers", &admin.cookie).await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("Daily &lt;i&gt;briefing&lt;/i&gt;"));
    // The only script on any console page is our own file.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script src=\"/admin/static/console.js\" defer></script>"));

    // The address's history escapes it too.
    let r = get(
        &app,
        &format!("/admin/subscribers?email={}", email.replace('@', "%40")),
        &admin.cookie,
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        html.contains("Consent log") && html.contains(">test<"),
        "{html}"
    );
}

#[tokio::test]
async fn the_bearer_api_keeps_working_and_a_session_is_not_a_token() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    let r = app.admin_get("/api/admin/newsletters").await;
    assert_eq!(r.status(), 200);
    let r = get(&app, "/api/admin/newsletters", &admin.cookie).await;
    assert_eq!(
        r.status(),
        401,
        "the API has no CSRF check, so no cookie opens it"
    );
}

#[tokio::test]
async fn a_password_change_ends_every_session() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    let mut cookies = Vec::new();
    for _ in 0..2 {
        let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
        cookies.push(session_cookie(&r).unwrap());
    }
    for c in &cookies {
        assert_eq!(get(&app, "/admin", c).await.status(), 200);
    }
    // `herald admin add` for an existing address changes its password.
    let out = herald_admin_add(&app, &email, "a brand new password\n").await;
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("password changed"));
    for c in &cookies {
        assert_eq!(get(&app, "/admin", c).await.status(), 303);
    }
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    assert_eq!(r.status(), 401, "the old password is gone");
    let r = sign_in_as(&app, &email, "a brand new password", &origin(&app)).await;
    assert_eq!(r.status(), 303);
}

/// Runs the real `herald admin add EMAIL` on the test's database, with the
/// password on stdin. Asynchronously: the test's server shares this
/// thread, and must be free to finish what it writes meanwhile.
async fn herald_admin_add(app: &TestApp, email: &str, stdin: &str) -> std::process::Output {
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

#[tokio::test]
async fn herald_admin_add_creates_an_admin_and_refuses_weak_input() {
    let app = spawn_app().await;
    let email = unique_email();
    let out = herald_admin_add(&app, &email, "short\n").await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));
    let out = herald_admin_add(&app, "not an address", "long enough password\n").await;
    assert!(!out.status.success());
    let out = herald_admin_add(&app, &email, "long enough password\n").await;
    assert!(out.status.success(), "{out:?}");
    let r = sign_in_as(&app, &email, "long enough password", &origin(&app)).await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn bad_console_input_gets_a_clear_4xx() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    app.add_newsletter("daily", "Daily").await;
    for (path, status) in [
        ("/admin/digests/abc", 404),
        ("/admin/digests/999999", 404),
        ("/admin/digests/999999/progress", 404),
        ("/admin/newsletters/nope", 404),
        ("/admin/newsletters/nope/digest", 404),
        ("/admin/newsletters/daily/subscribers?status=bogus", 400),
        ("/admin/newsletters/daily/subscribers?after=-3", 400),
        ("/admin/subscribers?email=not-an-address", 422),
    ] {
        let r = get(&app, path, &admin.cookie).await;
        assert_eq!(r.status(), status, "{path}");
        assert!(
            r.text().await.unwrap().contains("Back to the console"),
            "{path}"
        );
    }
    let here = origin(&app);
    let r = app
        .client
        .post(app.url("/admin/newsletters"))
        .header("Cookie", &admin.cookie)
        .header("Origin", &here)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("slug=%ZZ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = post(
        &app,
        "/admin/newsletters",
        &admin.cookie,
        Some(&here),
        &[("slug", "Not A Slug"), ("name", "x"), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
    let r = post(
        &app,
        "/admin/newsletters",
        &admin.cookie,
        Some(&here),
        &[("slug", "daily"), ("name", "Again"), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 409);
    let r = post(
        &app,
        "/admin/digests/1/explode",
        &admin.cookie,
        Some(&here),
        &[("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .delete(app.url("/admin/newsletters"))
        .header("Cookie", &admin.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn a_digest_is_previewed_confirmed_sent_and_followed_to_100_percent() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let form = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        let mut v: Vec<_> = pairs.iter().map(|(k, v)| (*k, v.to_string())).collect();
        v.push(("csrf", admin.csrf.clone()));
        v
    };
    let send = |path: &str, pairs: Vec<(&'static str, String)>| {
        app.client
            .post(app.url(path))
            .header("Cookie", &admin.cookie)
            .header("Origin", &here)
            .form(&pairs)
            .send()
    };
    let r = send(
        "/admin/newsletters",
        form(&[("slug", "daily"), ("name", "Daily")]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let reader = unique_email();
    let r = send(
        "/admin/newsletters/daily/subscribers",
        form(&[
            ("email", &reader),
            ("status", "confirmed"),
            ("consent", "asked in person"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Added"));
    let r = send(
        "/admin/feed-items",
        form(&[
            ("title", "Console item"),
            ("url", "https://example.com/console"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Console item"));

    let html = get(&app, "/admin/newsletters/daily/digest", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<iframe class=\"preview\" sandbox"), "{html}");
    let r = get(
        &app,
        "/admin/newsletters/daily/digest/preview",
        &admin.cookie,
    )
    .await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("sandbox") && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-frame-options"], "SAMEORIGIN");
    assert!(r.text().await.unwrap().contains("Console item"));

    let html = get(
        &app,
        "/admin/newsletters/daily/digest/confirm",
        &admin.cookie,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        html.contains("<strong id=\"recipients\">1</strong>"),
        "{html}"
    );
    let marker = "name=\"key\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let key: String = html[start..].chars().take_while(|c| *c != '"').collect();
    let r = send("/admin/newsletters/daily/digest", form(&[("key", &key)]))
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/admin/digests/"), "{location}");
    // The same confirmation sent twice makes one digest.
    let again = send("/admin/newsletters/daily/digest", form(&[("key", &key)]))
        .await
        .unwrap();
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);

    let deadline = Instant::now() + Duration::from_secs(20);
    let progress = loop {
        let p: Value = get(&app, &format!("{location}/progress"), &admin.cookie)
            .await
            .json()
            .await
            .unwrap();
        if p["done"] == true {
            break p;
        }
        assert!(Instant::now() < deadline, "digest not done: {p}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(progress["percent"], 100);
    assert_eq!(progress["sent"], 1);
    let emails = wait_for_emails(&reader, 1).await;
    assert!(emails[0]["text"].as_str().unwrap().contains("Console item"));
    let page = get(&app, &location, &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-done=\"true\""));

    // Nothing new now; the sent digest is listed.
    let html = get(&app, "/admin/newsletters/daily/digest", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Nothing was published since the last digest"));
    assert!(html.contains(&format!("href=\"{location}\"")) && html.contains("100 %"));
    let r = send("/admin/newsletters/daily/digest", form(&[]))
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "nothing to send");

    // A finished digest can't be paused.
    let r = send(&format!("{location}/pause"), form(&[])).await.unwrap();
    assert_eq!(r.status(), 409);

    // The dashboard counts the reader and lists the digest.
    let html = get(&app, "/admin", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<strong data-count=\"confirmed\">1</strong>"),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"{location}\"")));
    assert!(html.contains("Signups (1)"));
}

#[tokio::test]
async fn feeds_and_items_are_added_shown_and_removed_with_the_last_error() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let r = post(
        &app,
        "/admin/feed-items",
        &admin.cookie,
        Some(&here),
        &[
            ("title", "Item <b>one</b>"),
            ("url", "https://example.com/one"),
            (
                "summary",
                "A summary with <img src=x onerror=alert(1)> in it",
            ),
            ("newsletter", "daily"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Item added."), "{html}");
    assert!(!html.contains("<img src=x"), "feed text is never markup");
    let r = post(
        &app,
        "/admin/feed-items",
        &admin.cookie,
        Some(&here),
        &[
            ("title", "x"),
            ("url", "javascript:alert(1)"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 422, "only http, https and mailto links");

    // A feed on a private address fails its poll; the page says why.
    let r = post(
        &app,
        "/admin/feeds/add",
        &admin.cookie,
        Some(&here),
        &[
            ("url", "http://127.0.0.1:9/feed.xml"),
            ("interval_minutes", "1"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    let feed = loop {
        let feeds = app.store.list_feeds().await.unwrap();
        if let Some(f) = feeds.into_iter().find(|f| f.last_error.is_some()) {
            break f;
        }
        assert!(Instant::now() < deadline, "the feed was never polled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let error = feed.last_error.clone().unwrap();
    let html = get(&app, "/admin/feeds", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    let shown = html_escape::encode_quoted_attribute(&error).to_string();
    assert!(html.contains(&shown), "{error} in {html}");

    let r = post(
        &app,
        &format!("/admin/feeds/{}/delete", feed.id),
        &admin.cookie,
        Some(&here),
        &[("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(app.store.list_feeds().await.unwrap().is_empty());
    let items = app.store.list_items(10, None).await.unwrap().items;
    assert_eq!(items.len(), 1);
    let r = post(
        &app,
        &format!("/admin/feed-items/{}/delete", items[0].id),
        &admin.cookie,
        Some(&here),
        &[("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(app
        .store
        .list_items(10, None)
        .await
        .unwrap()
        .items
        .is_empty());
}

#[tokio::test]
async fn subscribers_are_searched_filtered_paged_unsubscribed_and_erased() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let tag = crate::helpers::random_hex(8);
    for i in 0..55 {
        let r = app
            .client
            .post(app.url("/api/admin/newsletters/daily/subscribers"))
            .bearer_auth(&app.admin_token)
            .json(&serde_json::json!({
                "email": format!("p{i:02}-{tag}@example.com"),
                "status": "confirmed", "consent": "test"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let page = |q: String| {
        let app = &app;
        let cookie = admin.cookie.clone();
        async move {
            let r = get(
                app,
                &format!("/admin/newsletters/daily/subscribers?{q}"),
                &cookie,
            )
            .await;
            assert_eq!(r.status(), 200, "{q}");
            r.text().await.unwrap()
        }
    };
    let first = page(String::new()).await;
    assert_eq!(
        first.matches("<tr>").count(),
        50 + 1,
        "a header row and 50 rows"
    );
    let next = "subscribers?q=&amp;status=&amp;after=";
    assert!(first.contains(next), "a next page link");
    let start = first.find(next).unwrap() + next.len();
    let cursor: String = first[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let second = page(format!("after={cursor}")).await;
    assert_eq!(second.matches("<tr>").count(), 5 + 1);
    assert!(second.contains(&format!("p54-{tag}")));

    // Search is by part of the address, case-insensitive; `%` is literal.
    let found = page(format!("q=P07-{tag}")).await;
    assert_eq!(found.matches("<tr>").count(), 2, "{found}");
    let none = page("q=%25".to_string()).await;
    assert!(none.contains("No subscriber matches."));

    let victim = format!("p07-{tag}@example.com");
    let r = post(
        &app,
        "/admin/newsletters/daily/subscribers/unsubscribe",
        &admin.cookie,
        Some(&here),
        &[("email", &victim), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.status_of("daily", &victim).await.as_deref(),
        Some("unsubscribed")
    );
    let html = get(&app, "/admin", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Signups (55)"), "{html}");
    assert!(html.contains("Unsubscribes (1)"));
    assert!(html.contains("<strong data-count=\"unsubscribed\">1</strong>"));
    let filtered = page("status=unsubscribed".to_string()).await;
    assert_eq!(filtered.matches("<tr>").count(), 2);
    assert!(filtered.contains(&victim));

    let r = post(
        &app,
        "/admin/subscribers/erase",
        &admin.cookie,
        Some(&here),
        &[("email", &victim), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Erased"));
    assert_eq!(app.status_of("daily", &victim).await, None);
    let r = get(
        &app,
        &format!("/admin/subscribers?email={}", victim.replace('@', "%40")),
        &admin.cookie,
    )
    .await;
    assert_eq!(r.status(), 404);

    // Export is the API's CSV.
    let r = get(
        &app,
        "/admin/newsletters/daily/subscribers/export",
        &admin.cookie,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 54);
}

#[tokio::test]
async fn a_csv_import_needs_the_token_header_and_the_same_origin() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let admin = signed_in(&app).await;
    let csv = format!("email,name\n{},Ann\n", unique_email());
    let import = |token: Option<&str>, origin: &str| {
        let mut req = app
            .client
            .post(app.url(
                "/admin/newsletters/daily/subscribers/import?confirmed=true&consent=paper+form",
            ))
            .header("Cookie", &admin.cookie)
            .header("Origin", origin)
            .header("Content-Type", "text/csv")
            .body(csv.clone());
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        req.send()
    };
    let r = import(None, &origin(&app)).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = import(Some(&admin.csrf), "http://evil.example")
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let listed: Value = app
        .admin_get("/api/admin/newsletters/daily/subscribers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["subscribers"],
        serde_json::json!([]),
        "nothing imported"
    );
    let r = import(Some(&admin.csrf), &origin(&app)).await.unwrap();
    assert_eq!(r.status(), 200);
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["imported"], 1, "{summary}");
}

#[tokio::test]
async fn a_digest_is_paused_resumed_cancelled_and_shows_its_smtp_failures() {
    let smtp = crate::fake_smtp::FakeSmtp::start(std::sync::Arc::new(|rcpt: &str, _| {
        if rcpt.contains("bounce") {
            "550 5.1.1 <bounce> mailbox unavailable here".to_string()
        } else {
            // Always later: the digest keeps going until it is cancelled.
            "451 4.3.0 try again later".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[("smtp_url", &smtp.url)]).await;
    app.add_newsletter("daily", "Daily").await;
    for who in ["bounce", "slow"] {
        let r = app
            .client
            .post(app.url("/api/admin/newsletters/daily/subscribers"))
            .bearer_auth(&app.admin_token)
            .json(&serde_json::json!({
                "email": format!("{who}-{}@example.com", crate::helpers::random_hex(6)),
                "status": "confirmed", "consent": "test"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let r = app
        .client
        .post(app.url("/api/admin/feed-items"))
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({ "title": "News", "url": "https://example.com/n" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .client
        .post(app.url("/api/admin/newsletters/daily/digests"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    while app.store.digest(id).await.unwrap().failed < 1 {
        assert!(Instant::now() < deadline, "the bounce never failed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let page = get(&app, &format!("/admin/digests/{id}"), &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("&lt;bounce&gt; mailbox unavailable here"),
        "the SMTP reply, escaped: {page}"
    );
    assert!(page.contains("data-done=\"false\""));

    let act = |action: &'static str| {
        let cookie = admin.cookie.clone();
        let csrf = admin.csrf.clone();
        let here = here.clone();
        let app = &app;
        async move {
            post(
                app,
                &format!("/admin/digests/{id}/{action}"),
                &cookie,
                Some(&here),
                &[("csrf", &csrf)],
            )
            .await
        }
    };
    let r = act("pause").await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.store.digest(id).await.unwrap().status, "paused");
    let page = get(&app, &format!("/admin/digests/{id}"), &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/admin/digests/{id}/resume")));
    assert_eq!(act("pause").await.status(), 409, "already paused");

    assert_eq!(act("resume").await.status(), 303);
    let status = app.store.digest(id).await.unwrap().status;
    assert!(status == "queued" || status == "sending", "{status}");

    assert_eq!(act("cancel").await.status(), 303);
    let p: Value = get(
        &app,
        &format!("/admin/digests/{id}/progress"),
        &admin.cookie,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(p["status"], "cancelled");
    assert_eq!(p["done"], true);
    assert_eq!(p["percent"], 100);
    assert_eq!(act("resume").await.status(), 409);
}

#[tokio::test]
async fn changing_the_password_in_the_console_ends_the_other_sessions() {
    let app = spawn_app().await;
    let email = unique_email();
    add_admin(&app, &email, PASSWORD).await;
    let other = session_cookie(&sign_in_as(&app, &email, PASSWORD, &origin(&app)).await).unwrap();
    let r = sign_in_as(&app, &email, PASSWORD, &origin(&app)).await;
    let mine = session_cookie(&r).unwrap();
    let html = get(&app, "/admin/password", &mine)
        .await
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html);
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let (app, mine, csrf) = (&app, mine.clone(), csrf.clone());
        async move {
            post(
                app,
                "/admin/password",
                &mine,
                Some(&origin(app)),
                &[
                    ("current", current),
                    ("new", new),
                    ("again", again),
                    ("csrf", &csrf),
                ],
            )
            .await
        }
    };
    let r = change(
        "wrong one here",
        "another good password",
        "another good password",
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = change(PASSWORD, "short", "short").await;
    assert_eq!(r.status(), 422);
    let r = change(PASSWORD, "another good password", "a different one").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        get(&app, "/admin", &other).await.status(),
        200,
        "nothing changed yet"
    );

    let r = change(PASSWORD, "another good password", "another good password").await;
    assert_eq!(r.status(), 303);
    let fresh = session_cookie(&r).expect("this browser gets a new session");
    assert_eq!(get(&app, "/admin", &fresh).await.status(), 200);
    assert_eq!(
        get(&app, "/admin", &other).await.status(),
        303,
        "other sessions end"
    );
    assert_eq!(
        get(&app, "/admin", &mine).await.status(),
        303,
        "and the old cookie"
    );
    let r = sign_in_as(&app, &email, "another good password", &origin(&app)).await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn a_newsletter_is_edited_and_archived_and_its_embed_snippet_is_escaped() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily \"quotes\" & <tags>")
        .await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let html = get(&app, "/admin/newsletters/daily", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    // The snippet is shown as text: escaped once for the page, so that what
    // an admin copies is itself well-escaped HTML.
    assert!(
        html.contains("&lt;form method=&quot;post&quot; action=&quot;http://127.0.0.1"),
        "{html}"
    );
    assert!(html.contains("Subscribe to Daily &quot;quotes&quot; &amp;amp; &amp;lt;tags&amp;gt;"));

    let r = post(
        &app,
        "/admin/newsletters/daily",
        &admin.cookie,
        Some(&here),
        &[
            ("name", "Daily"),
            ("from_address", "not an address"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
    let r = post(
        &app,
        "/admin/newsletters/daily",
        &admin.cookie,
        Some(&here),
        &[
            ("name", "Daily briefing"),
            ("description", "Every morning"),
            ("from_name", "The Desk"),
            ("from_address", "desk@news.example"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let n: Value = app
        .admin_get("/api/admin/newsletters/daily")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(n["name"], "Daily briefing");
    assert_eq!(n["from_address"], "desk@news.example");
    assert_eq!(n["reply_to"], Value::Null, "an empty field clears");

    let r = post(
        &app,
        "/admin/newsletters/daily/archive",
        &admin.cookie,
        Some(&here),
        &[("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(!newsletter_exists(&app, "daily").await);
    assert_eq!(
        get(&app, "/admin/newsletters/daily", &admin.cookie)
            .await
            .status(),
        404
    );
}
