//! Bearer tokens: requests without a valid one refused, the scheme's case,
//! and tokens made and revoked with the command line.

use serde_json::{json, Value};

use crate::helpers::{random_hex, spawn_app, TestApp};

use super::*;

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

/// A relay password never crosses the network in clear: with a user and
/// password but no TLS, the server refuses to start and says why.
#[tokio::test]
async fn smtp_credentials_without_tls_stop_the_start() {
    let dir = std::env::temp_dir().join(format!("herald-smtp-{}", random_hex(12)));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |url: &'static str| {
        let dir = dir.clone();
        async move {
            tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
                .arg("serve")
                .current_dir(&dir)
                .env(
                    "HERALD_DATABASE_URL",
                    format!("sqlite://{}", dir.join("h.db").display()),
                )
                .env(
                    "HERALD_LISTEN",
                    format!("127.0.0.1:{}", crate::helpers::free_port()),
                )
                .env("HERALD_SMTP_URL", url)
                .env("HERALD_ADMIN_TOKEN", random_hex(40))
                .env_remove("DATABASE_URL")
                .kill_on_drop(true)
                .output()
                .await
                .expect("run the herald binary")
        }
    };
    for url in [
        "smtp://desk:hunter2@127.0.0.1:1",
        "smtp://desk:hunter2@127.0.0.1:1?tls=opportunistic",
    ] {
        let out = tokio::time::timeout(std::time::Duration::from_secs(30), run(url))
            .await
            .expect("herald exits instead of serving");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("tls=required") && err.contains("clear text"),
            "{err}"
        );
        assert!(
            !err.contains("hunter2"),
            "the password is never printed: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
