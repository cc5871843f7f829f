//! Configuration as an operator sets it: `--config PATH` and
//! `HERALD_CONFIG`, secrets read from `HERALD_*_FILE`, a warning naming an
//! unknown `HERALD_` variable, and `herald --version`.

use std::time::Duration;

use super::{herald, text, Scratch};
use crate::helpers::{free_port, random_hex, spawn_app};

#[tokio::test]
async fn version_prints_the_crate_version() {
    let scratch = Scratch::new("version");
    let out = herald(&scratch.0, &["--version"], &[]).await;
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        format!("herald {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn a_named_config_file_is_read_and_a_missing_one_is_an_error() {
    let app = spawn_app().await;
    let scratch = Scratch::new("config");
    let listen = app.address.trim_start_matches("http://");
    let file = scratch.path("production.toml");
    std::fs::write(&file, format!("listen = \"{listen}\"\n")).unwrap();
    let file = file.to_str().unwrap();

    // `herald health` asks the address the file names: it was read.
    let out = herald(&scratch.0, &["--config", file, "health"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = herald(&scratch.0, &["health", "--config", file], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = herald(&scratch.0, &["health"], &[("HERALD_CONFIG", file)]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    // …and the environment still wins over it.
    let elsewhere = format!("127.0.0.1:{}", free_port());
    let env = [
        ("HERALD_CONFIG", file),
        ("HERALD_LISTEN", elsewhere.as_str()),
    ];
    let out = herald(&scratch.0, &["health", "--timeout", "2s"], &env).await;
    assert!(!out.status.success());

    let missing = scratch.path("nope.toml");
    let missing = missing.to_str().unwrap();
    let out = herald(&scratch.0, &["--config", missing, "migrate"], &[]).await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains(missing), "{}", text(&out.stderr));
    assert!(!scratch.path("herald.db").exists(), "migrated anyway");
}

#[tokio::test]
async fn secrets_are_read_from_files() {
    let scratch = Scratch::new("secrets");
    let token = random_hex(48);
    let token_file = scratch.path("admin_token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let db_file = scratch.path("database_url");
    let db = format!("sqlite://{}", scratch.path("h.db").display());
    std::fs::write(&db_file, format!("{db}\n")).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");

    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("serve")
        .current_dir(&scratch.0)
        .env_remove("DATABASE_URL")
        .env_remove("HERALD_ADMIN_TOKEN")
        .env_remove("HERALD_DATABASE_URL")
        .env("HERALD_ADMIN_TOKEN_FILE", &token_file)
        .env("HERALD_DATABASE_URL_FILE", &db_file)
        .env("HERALD_LISTEN", format!("127.0.0.1:{port}"))
        .env("HERALD_BASE_URL", &base)
        .env("HERALD_OUTBOX_DIR", scratch.path("outbox"))
        .env("HERALD_WORKERS", "0")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "herald serve did not come up");
    let newsletters = format!("{base}/api/admin/newsletters");
    let r = client
        .get(&newsletters)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "the token from the file is the admin token"
    );
    let r = client
        .get(&newsletters)
        .bearer_auth(random_hex(48))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    server.kill().await.unwrap();
    assert!(
        scratch.path("h.db").exists(),
        "the database URL came from its file"
    );

    // A value and its file at once: which one was meant? An error, naming both.
    let out = herald(
        &scratch.0,
        &["migrate"],
        &[
            ("HERALD_DATABASE_URL", &db),
            ("HERALD_DATABASE_URL_FILE", db_file.to_str().unwrap()),
        ],
    )
    .await;
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("HERALD_DATABASE_URL and HERALD_DATABASE_URL_FILE"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_unknown_herald_variable_is_named_in_a_warning() {
    let scratch = Scratch::new("vars");
    let db = format!("sqlite://{}", scratch.path("h.db").display());
    let out = herald(
        &scratch.0,
        &["migrate"],
        &[
            ("HERALD_DATABASE_URL", &db),
            ("HERALD_SMPT_URL", "smtp://127.0.0.1:1025"),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("HERALD_SMPT_URL"))
        .unwrap_or_else(|| panic!("no warning: {stderr}"));
    assert!(
        line.contains("WARN") && line.contains("did you mean HERALD_SMTP_URL"),
        "{line}"
    );
    // Known variables, their *_FILE forms and HERALD_CONFIG raise nothing.
    let file = scratch.path("empty.toml");
    std::fs::write(&file, "").unwrap();
    let out = herald(
        &scratch.0,
        &["migrate"],
        &[
            ("HERALD_DATABASE_URL", &db),
            ("HERALD_CONFIG", file.to_str().unwrap()),
            ("HERALD_SITE_NAME", "Daily"),
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("WARN"), "{}", text(&out.stderr));
}
