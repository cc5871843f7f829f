//! The admin API: bearer tokens, newsletters, the subscriber list and its
//! pagination, and tokens made with the command line.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{
    admin_post, confirm, confirm_token_for, random_hex, spawn_app, unique_email, TestApp,
};

/// A request with an optional `Authorization` header value.
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path));
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn admin_post_raw(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.admin_token)
        .body(body.to_string());
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    req.send().await.unwrap()
}

/// The JSON error of a refused request, checking its shape.
async fn error_code(r: reqwest::Response) -> String {
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "content type {ct}");
    let body: Value = r.json().await.unwrap();
    assert!(body["message"].is_string(), "{body}");
    body["error"].as_str().expect("an error code").to_string()
}

async fn newsletter_slugs(app: &TestApp) -> Vec<String> {
    let r = app.admin_get("/api/admin/newsletters").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["newsletters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["slug"].as_str().unwrap().to_string())
        .collect()
}

async fn page(app: &TestApp, query: &str) -> Value {
    let r = app
        .admin_get(&format!("/api/admin/newsletters/daily/subscribers?{query}"))
        .await;
    assert_eq!(r.status(), 200, "{query}");
    r.json().await.unwrap()
}

fn emails(page: &Value) -> Vec<String> {
    page["subscribers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["email"].as_str().unwrap().to_string())
        .collect()
}

fn timestamp(v: &Value) -> DateTime<Utc> {
    let s = v.as_str().unwrap_or_else(|| panic!("a timestamp, got {v}"));
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

#[tokio::test]
async fn admin_routes_refuse_requests_without_a_valid_token() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let routes = [
        (reqwest::Method::GET, "/api/admin/newsletters"),
        (reqwest::Method::POST, "/api/admin/newsletters"),
        (
            reqwest::Method::GET,
            "/api/admin/newsletters/daily/subscribers",
        ),
        (
            reqwest::Method::GET,
            "/api/admin/newsletters/nope/subscribers",
        ),
    ];
    let wrong = format!("Bearer {}", random_hex(40));
    let almost = format!("Bearer {}x", app.admin_token);
    let basic = format!("Basic {}", app.admin_token);
    let bare = app.admin_token.clone();
    let credentials: [Option<&str>; 6] = [
        None,
        Some(&wrong),
        Some(&almost),
        Some(&basic),
        Some(&bare),
        Some("Bearer "),
    ];
    for (method, path) in &routes {
        for auth in credentials {
            let body = (*method == reqwest::Method::POST)
                .then(|| json!({ "slug": "sneaky", "name": "Sneaky" }));
            let r = send(&app, method.clone(), path, auth, body).await;
            assert_eq!(r.status(), 401, "{method} {path} with {auth:?}");
            let challenge = r
                .headers()
                .get("www-authenticate")
                .unwrap_or_else(|| panic!("WWW-Authenticate on {method} {path}"))
                .to_str()
                .unwrap()
                .to_string();
            assert!(challenge.starts_with("Bearer"), "{challenge}");
            assert_eq!(error_code(r).await, "unauthorized", "{method} {path}");
        }
    }
    // Nothing was created, and the real token still works.
    assert_eq!(newsletter_slugs(&app).await, vec!["daily".to_string()]);
}

/// RFC 9110 §11.1: the authentication scheme is case-insensitive, so
/// `bearer TOKEN` is the same credential as `Bearer TOKEN`.
#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let mut answers = Vec::new();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let auth = format!("{scheme} {}", app.admin_token);
        let r = send(
            &app,
            reqwest::Method::GET,
            "/api/admin/newsletters",
            Some(&auth),
            None,
        )
        .await;
        answers.push((scheme, r.status().as_u16()));
    }
    assert!(
        answers.iter().all(|(_, s)| *s == 200),
        "expected 200 for each: {answers:?}"
    );
}

#[tokio::test]
async fn newsletters_are_created_listed_and_checked() {
    let app = spawn_app().await;
    assert!(newsletter_slugs(&app).await.is_empty());

    let r = admin_post(
        &app,
        "/api/admin/newsletters",
        &json!({ "slug": "daily", "name": "  Daily briefing ", "description": "Every morning." }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["slug"], "daily");
    assert_eq!(created["name"], "Daily briefing");
    assert_eq!(created["description"], "Every morning.");
    assert!(created.get("id").is_none() || created["id"].is_number());

    let r = admin_post(
        &app,
        "/api/admin/newsletters",
        &json!({ "slug": "weekly-2", "name": "Weekly" }),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["description"], "");

    let r = app.admin_get("/api/admin/newsletters").await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    let list = list["newsletters"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["slug"], "daily");
    assert_eq!(list[0]["name"], "Daily briefing");
    assert_eq!(list[0]["description"], "Every morning.");
    assert_eq!(list[1]["slug"], "weekly-2");

    // A taken slug: 409, and the first one is unchanged.
    let r = admin_post(
        &app,
        "/api/admin/newsletters",
        &json!({ "slug": "daily", "name": "Another" }),
    )
    .await;
    assert_eq!(r.status(), 409);
    error_code(r).await;

    let refused = [
        json!({ "slug": "Bad Slug", "name": "Bad" }),
        json!({ "slug": "", "name": "Empty slug" }),
        json!({ "slug": "-dash", "name": "Leading dash" }),
        json!({ "slug": "a/b", "name": "Slash" }),
        json!({ "slug": "x".repeat(65), "name": "Too long" }),
        json!({ "slug": "fine", "name": "" }),
        json!({ "slug": "fine", "name": "   " }),
        json!({ "slug": "fine", "name": "Bell\u{7}" }),
        json!({ "slug": "fine", "name": "Fine", "description": "a\r\nb" }),
    ];
    for body in &refused {
        let r = admin_post(&app, "/api/admin/newsletters", body).await;
        assert_eq!(r.status(), 422, "{body}");
        error_code(r).await;
    }

    let malformed = [
        "{\"slug\": \"fine\", \"name\": ",
        "not json",
        "{\"slug\": \"fine\"}",
        "{\"slug\": 7, \"name\": \"Seven\"}",
        "[]",
    ];
    for body in malformed {
        let r = admin_post_raw(
            &app,
            "/api/admin/newsletters",
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(error_code(r).await, "bad_request");
    }

    let json_text = r#"{"slug":"fine","name":"Fine"}"#;
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let r = admin_post_raw(&app, "/api/admin/newsletters", ct, json_text).await;
        assert_eq!(r.status(), 415, "{ct:?}");
        assert_eq!(error_code(r).await, "unsupported_media_type");
    }

    assert_eq!(
        newsletter_slugs(&app).await,
        vec!["daily".to_string(), "weekly-2".to_string()]
    );
    let r = app.admin_get("/api/admin/newsletters").await;
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["newsletters"][0]["name"], "Daily briefing");
}

#[tokio::test]
async fn the_subscriber_list_shows_status_and_timestamps() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    let pending = unique_email();
    let confirmed = unique_email();
    let elsewhere = unique_email();
    let before = Utc::now() - chrono::Duration::seconds(5);
    assert_eq!(app.signup(&pending, &["daily"]).await.status(), 202);
    assert_eq!(app.signup(&confirmed, &["daily"]).await.status(), 202);
    assert_eq!(app.signup(&elsewhere, &["weekly"]).await.status(), 202);
    let token = confirm_token_for(&confirmed).await;
    let r = confirm(&app, &token).await;
    assert_eq!(r.status(), 200);

    let all = page(&app, "").await;
    assert_eq!(all["next"], Value::Null);
    let subs = all["subscribers"].as_array().unwrap();
    assert_eq!(
        subs.len(),
        2,
        "only this newsletter's subscribers: {subs:?}"
    );
    let find = |email: &str| {
        subs.iter()
            .find(|s| s["email"] == email)
            .unwrap_or_else(|| panic!("{email} listed"))
            .clone()
    };
    let p = find(&pending);
    let c = find(&confirmed);
    assert_eq!(p["status"], "pending");
    assert_eq!(c["status"], "confirmed");
    for s in [&p, &c] {
        for key in [
            "email",
            "name",
            "status",
            "created_at",
            "confirmed_at",
            "unsubscribed_at",
        ] {
            assert!(s.get(key).is_some(), "{key} in {s}");
        }
        let created = timestamp(&s["created_at"]);
        assert!(created >= before && created <= Utc::now(), "{created}");
        assert_eq!(s["unsubscribed_at"], Value::Null);
    }
    assert_eq!(p["confirmed_at"], Value::Null);
    let confirmed_at = timestamp(&c["confirmed_at"]);
    assert!(confirmed_at >= timestamp(&c["created_at"]));
    assert!(confirmed_at <= Utc::now());

    assert_eq!(
        emails(&page(&app, "status=pending").await),
        vec![pending.clone()]
    );
    assert_eq!(
        emails(&page(&app, "status=confirmed").await),
        vec![confirmed.clone()]
    );
    assert!(emails(&page(&app, "status=unsubscribed").await).is_empty());
    assert_eq!(emails(&page(&app, "status=").await).len(), 2);
    assert_eq!(emails(&page(&app, "limit=1000").await).len(), 2);
    let one = page(&app, "limit=1").await;
    assert_eq!(emails(&one).len(), 1);
    assert!(one["next"].is_string(), "{one}");
}

#[tokio::test]
async fn the_subscriber_list_refuses_bad_queries() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    assert_eq!(app.signup(&unique_email(), &["daily"]).await.status(), 202);

    for path in [
        "/api/admin/newsletters/nope/subscribers",
        "/api/admin/newsletters/nope/subscribers?status=pending",
        "/api/admin/newsletters/DAILY/subscribers",
        "/api/admin/newsletters/da%20ily/subscribers",
    ] {
        let r = app.admin_get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(error_code(r).await, "not_found", "{path}");
    }
    for query in [
        "status=bogus",
        "status=PENDING",
        "limit=0",
        "limit=1001",
        "after=garbage",
        "after=1;DROP",
    ] {
        let r = app
            .admin_get(&format!("/api/admin/newsletters/daily/subscribers?{query}"))
            .await;
        assert_eq!(r.status(), 422, "{query}");
        error_code(r).await;
    }
    for query in ["limit=-1", "limit=many", "limit=99999999999"] {
        let r = app
            .admin_get(&format!("/api/admin/newsletters/daily/subscribers?{query}"))
            .await;
        assert!(
            r.status() == 400 || r.status() == 422,
            "{query}: {}",
            r.status()
        );
    }
    // The list still answers.
    assert_eq!(emails(&page(&app, "").await).len(), 1);
}

#[tokio::test]
async fn paging_sees_every_subscriber_once_while_signups_continue() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let mut existing = HashSet::new();
    for _ in 0..25 {
        let email = unique_email();
        assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
        existing.insert(email);
    }

    let mut seen: Vec<String> = Vec::new();
    let mut added_later = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            None => "limit=7".to_string(),
            Some(c) => format!("limit=7&after={c}"),
        };
        let p = page(&app, &query).await;
        let batch = emails(&p);
        assert!(batch.len() <= 7, "{batch:?}");
        seen.extend(batch);
        pages += 1;
        assert!(pages < 20, "paging does not end");

        // Signups keep arriving between pages.
        for _ in 0..2 {
            let email = unique_email();
            assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
            added_later.insert(email);
        }

        match &p["next"] {
            Value::Null => break,
            Value::String(c) => {
                assert!(!c.is_empty());
                cursor = Some(c.clone());
            }
            other => panic!("next is {other}"),
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "an address was listed twice");
    for email in &existing {
        assert!(unique.contains(email), "{email} never listed");
    }
    for email in &seen {
        assert!(
            existing.contains(email) || added_later.contains(email),
            "{email} is nobody's"
        );
    }
    assert!(pages >= 4, "25 addresses take at least 4 pages of 7");
}

/// Runs the built `herald` binary against the app's database, from an empty
/// working directory (no `herald.toml`).
async fn herald_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("herald-cli-{}", random_hex(12)));
    std::fs::create_dir_all(&dir).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(args)
        .current_dir(&dir)
        .env("HERALD_DATABASE_URL", &app.db.url)
        .env_remove("DATABASE_URL")
        .env_remove("HERALD_ADMIN_TOKEN")
        .kill_on_drop(true)
        .output()
        .await
        .expect("run the herald binary");
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[tokio::test]
async fn a_token_made_with_the_cli_works_until_revoked() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;

    let out = herald_cli(&app, &["token", "create", "--name", "ci"]).await;
    assert!(
        out.status.success(),
        "token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.len() >= 32, "a token on stdout: {token:?}");
    assert!(!token.contains(char::is_whitespace), "{token:?}");

    let r = app
        .client
        .get(app.url("/api/admin/newsletters"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["newsletters"][0]["slug"], "daily");

    // A second token of the same name is refused; the first keeps working.
    let out = herald_cli(&app, &["token", "create", "--name", "ci"]).await;
    assert!(!out.status.success());
    let out = herald_cli(&app, &["token", "list"]).await;
    assert!(out.status.success());
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(listing.lines().any(|l| l.starts_with("ci\t")), "{listing}");
    assert!(
        !listing.contains(&token),
        "the token itself is never listed"
    );

    let out = herald_cli(&app, &["token", "revoke", "ci"]).await;
    assert!(
        out.status.success(),
        "token revoke failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = app
        .client
        .get(app.url("/api/admin/newsletters"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(error_code(r).await, "unauthorized");

    // Revoking it again says so; the configured token is unaffected.
    let out = herald_cli(&app, &["token", "revoke", "ci"]).await;
    assert!(!out.status.success());
    assert_eq!(app.admin_get("/api/admin/newsletters").await.status(), 200);
}
