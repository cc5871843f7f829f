//! `HERALD_LOG_FORMAT`: every line on standard error is a JSON object with
//! `json`; an access line per request, in either format, names the route
//! pattern and never the path's query (confirm and unsubscribe links carry
//! their tokens there); `RUST_LOG` can silence access lines; a format Herald
//! doesn't know stops the start.

use serde_json::Value;

use super::serve;
use crate::helpers::random_hex;

#[tokio::test]
async fn json_format_writes_only_json_lines_with_an_access_line_per_request() {
    // No admin token configured: the first start's token line must be JSON too.
    let server = serve(&[("HERALD_LOG_FORMAT", "json")], "").await;
    let secret = format!("tok{}", random_hex(24));
    let app = &server.app;
    let r = app
        .client
        .get(app.url(&format!("/subscriptions/confirm?token={secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .get(app.url(&format!("/newsletters/{secret}/archive?ref={secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .post(app.url(&format!("/no/such/{secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    server
        .wait_line("access line for the unmatched POST", |l| {
            l.contains("\"unmatched\"") && l.contains("\"POST\"")
        })
        .await;
    let lines = server.stop().await;

    let objects: Vec<Value> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| panic!("not a JSON object: {l:?}"))
        })
        .collect();
    for (line, o) in lines.iter().zip(&objects) {
        assert!(!line.contains(&secret), "the token was logged: {line}");
        assert!(
            o["timestamp"].is_string() && o["level"].is_string(),
            "{line}"
        );
    }
    assert!(
        objects.iter().any(|o| o["message"] == "listening"),
        "{lines:#?}"
    );
    let token_line = objects
        .iter()
        .find_map(|o| o["message"].as_str()?.strip_prefix("admin token: "))
        .unwrap_or_else(|| panic!("no admin token line in {lines:#?}"));
    assert!(token_line.len() >= 32);

    let access = |method: &str, route: &str| {
        objects
            .iter()
            .find(|o| {
                o["target"] == "herald::access" && o["method"] == method && o["route"] == route
            })
            .unwrap_or_else(|| panic!("no access line for {method} {route} in {lines:#?}"))
    };
    let confirm = access("GET", "/subscriptions/confirm");
    assert_eq!(confirm["level"], "INFO");
    assert_eq!(confirm["status"], 404);
    assert!(confirm["duration_ms"].as_f64().is_some_and(|d| d >= 0.0));
    assert_eq!(access("GET", "/newsletters/{slug}/archive")["status"], 404);
    assert_eq!(access("POST", "unmatched")["status"], 404);
    assert_eq!(access("GET", "/health")["status"], 200);
    // Nothing but the documented fields: no path, query, address or agent.
    let mut keys: Vec<&str> = confirm
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "duration_ms",
            "level",
            "message",
            "method",
            "route",
            "status",
            "target",
            "timestamp"
        ]
    );
}

#[tokio::test]
async fn text_format_has_the_access_line_and_rust_log_can_silence_it() {
    let server = serve(&[], "").await;
    let secret = format!("tok{}", random_hex(24));
    let r = server
        .app
        .client
        .get(
            server
                .app
                .url(&format!("/newsletters/daily/archive?ref={secret}")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let line = server
        .wait_line("access", |l| {
            l.contains("herald::access") && l.contains("/newsletters/{slug}/archive")
        })
        .await;
    for field in [
        " INFO ",
        "method=GET",
        "route=/newsletters/{slug}/archive",
        "status=404",
        "duration_ms=",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
    let lines = server.stop().await;
    assert!(lines.iter().all(|l| !l.contains(&secret)), "{lines:#?}");
    // The first start's token, as the plain line the contract names.
    assert!(
        lines.iter().any(|l| l.starts_with("admin token: ")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().all(|l| !l.trim_start().starts_with('{')),
        "{lines:#?}"
    );

    // The access target below warn: no access lines, the rest as before.
    let server = serve(&[("RUST_LOG", "info,herald::access=warn")], "").await;
    let r = server
        .app
        .client
        .get(server.app.url("/newsletters/daily/archive"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let lines = server.stop().await;
    assert!(lines.iter().any(|l| l.contains("listening")), "{lines:#?}");
    assert!(
        lines.iter().all(|l| !l.contains("herald::access")),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn an_unknown_log_format_stops_the_start() {
    let dir = std::env::temp_dir().join(format!("herald-logfmt-{}", random_hex(10)));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |env: Option<&'static str>| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"));
        cmd.arg("serve")
            .current_dir(&dir)
            .env_remove("DATABASE_URL")
            .env_remove("HERALD_LOG_FORMAT")
            .env(
                "HERALD_DATABASE_URL",
                format!("sqlite://{}", dir.join("h.db").display()),
            )
            .env("HERALD_LISTEN", "127.0.0.1:0")
            .env("HERALD_OUTBOX_DIR", dir.join("outbox"))
            .kill_on_drop(true);
        if let Some(v) = env {
            cmd.env("HERALD_LOG_FORMAT", v);
        }
        async move {
            tokio::time::timeout(std::time::Duration::from_secs(30), cmd.output())
                .await
                .expect("herald serve should stop at once")
                .expect("run the herald binary")
        }
    };
    let out = run(Some("xml")).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("log_format") && stderr.contains("`xml`") && stderr.contains("json"),
        "{stderr}"
    );
    assert!(!stderr.contains("listening"), "{stderr}");

    // The same key in herald.toml, in lower case.
    std::fs::write(dir.join("herald.toml"), "log_format = \"yaml\"\n").unwrap();
    let out = run(None).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`yaml`"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn with_json_config_warnings_and_the_error_that_stops_the_start_are_json_too() {
    let dir = std::env::temp_dir().join(format!("herald-logfmt-{}", random_hex(10)));
    std::fs::create_dir_all(&dir).unwrap();
    // The port is taken: the start fails after logging has begun.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("serve")
        .current_dir(&dir)
        .env_remove("RUST_LOG")
        // Shadowed: a warning from loading the configuration, which must
        // come out after logging starts, in its format.
        .env("DATABASE_URL", "postgres://elsewhere.invalid/herald")
        .env(
            "HERALD_DATABASE_URL",
            format!("sqlite://{}", dir.join("h.db").display()),
        )
        .env("HERALD_LISTEN", taken.local_addr().unwrap().to_string())
        .env("HERALD_OUTBOX_DIR", dir.join("outbox"))
        .env("HERALD_LOG_FORMAT", "json")
        .env("HERALD_WORKERS", "0")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(std::time::Duration::from_secs(30), out)
        .await
        .expect("herald serve should stop at once")
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let objects: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l:?}")))
        .collect();
    let warning = objects
        .iter()
        .find(|o| o["level"] == "WARN" && o["target"] == "herald::config")
        .unwrap_or_else(|| panic!("no configuration warning in {stderr}"));
    assert!(
        warning["message"]
            .as_str()
            .is_some_and(|m| m.contains("HERALD_DATABASE_URL") && !m.contains("elsewhere")),
        "{warning}"
    );
    let error = objects
        .iter()
        .find(|o| o["level"] == "ERROR")
        .unwrap_or_else(|| panic!("no error line in {stderr}"));
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with("error: ") && message.contains("cannot listen"),
        "{message}"
    );
}
