//! `herald backup FILE` copies a SQLite database while a server writes to
//! it: the copy passes SQLite's integrity check and holds every signup
//! acknowledged before the backup began; a server started on the restored
//! copy carries on. It never overwrites a file, and on PostgreSQL it says
//! to use pg_dump.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::{herald, text, Scratch};
use crate::helpers::{confirm, confirm_token_for, spawn_app_with, unique_email, TestDb};

/// The addresses in a SQLite copy, after checking the file is sound.
async fn addresses_in(copy: &std::path::Path) -> HashSet<String> {
    let mut conn = SqliteConnectOptions::new()
        .filename(copy)
        .read_only(true)
        .connect()
        .await
        .unwrap();
    let check: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, ["ok"]);
    let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM subscribers")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    emails.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_signup_load_holds_every_acknowledged_signup() {
    let db = TestDb::sqlite();
    // No delivery worker: the queued confirmations stay in the database.
    let app = spawn_app_with(&[("database_url", &db.url), ("workers", "0")]).await;
    app.add_newsletter("daily", "Daily").await;

    // 16 clients sign up new addresses, each as fast as it is answered,
    // noting when each 202 arrived.
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (stop, acked) = (stop.clone(), acked.clone());
            let (client, url) = (app.client.clone(), app.url("/subscriptions"));
            tokio::spawn(async move {
                // Bounded, whatever happens: at most 2,000 signups a client.
                for _ in 0..2000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let email = unique_email();
                    let r = client
                        .post(&url)
                        .json(&serde_json::json!({ "email": email, "newsletter": "daily" }))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 202);
                    acked.lock().unwrap().push((email, Instant::now()));
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 300 {
        assert!(Instant::now() < deadline, "the signup load is too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let dir = db.dir().unwrap();
    let copy = dir.join("backup.db");
    let began = Instant::now();
    let out = herald(
        dir,
        &["backup", copy.to_str().unwrap()],
        &[("HERALD_DATABASE_URL", &db.url)],
    )
    .await;
    let ended = Instant::now();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("integrity check ok"),
        "{}",
        text(&out.stdout)
    );

    let acked = acked.lock().unwrap().clone();
    let before: Vec<&String> = acked
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(e, _)| e)
        .collect();
    let during = acked
        .iter()
        .filter(|(_, at)| (began..ended).contains(at))
        .count();
    let copied = addresses_in(&copy).await;
    eprintln!(
        "{} signups acknowledged before the backup, {during} while it ran ({:?}), {} in the copy",
        before.len(),
        ended - began,
        copied.len()
    );
    assert!(before.len() >= 300);
    assert!(during > 0, "no signup was answered while the backup ran");
    let missing: Vec<_> = before.iter().filter(|e| !copied.contains(**e)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged signups are missing from the copy",
        missing.len(),
        before.len()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // Never over an existing file: refused, and the first copy untouched.
    let bytes = std::fs::read(&copy).unwrap();
    let again = herald(
        dir,
        &["backup", copy.to_str().unwrap()],
        &[("HERALD_DATABASE_URL", &db.url)],
    )
    .await;
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already exists"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
}

#[tokio::test]
async fn a_server_on_the_restored_copy_carries_on() {
    let db = TestDb::sqlite();
    let app = spawn_app_with(&[("database_url", &db.url), ("workers", "0")]).await;
    app.add_newsletter("daily", "Daily").await;
    let reader = unique_email();
    assert_eq!(app.signup(&reader, &["daily"]).await.status(), 202);

    let dir = db.dir().unwrap();
    let copy = dir.join("herald-backup.db");
    let out = herald(
        dir,
        &["backup", copy.to_str().unwrap()],
        &[("HERALD_DATABASE_URL", &db.url)],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Restore as an operator would: the copy becomes another server's file.
    let restored = Scratch::new("restored");
    let file = restored.path("herald.db");
    std::fs::copy(&copy, &file).unwrap();
    let url = format!("sqlite://{}", file.display());
    let app2 = spawn_app_with(&[("database_url", &url)]).await;
    let health = app2.client.get(app2.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        app2.status_of("daily", &reader).await.as_deref(),
        Some("pending")
    );
    // The confirmation queued before the backup goes out from the restored
    // server, and its link (signed with the copied secrets) works there.
    let token = confirm_token_for(&reader).await;
    assert_eq!(confirm(&app2, &token).await.status(), 200);
    assert_eq!(
        app2.status_of("daily", &reader).await.as_deref(),
        Some("confirmed")
    );
    let newcomer = unique_email();
    assert_eq!(app2.signup(&newcomer, &["daily"]).await.status(), 202);
    assert_eq!(
        app2.status_of("daily", &newcomer).await.as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn backup_refuses_postgres_and_a_missing_database() {
    let scratch = Scratch::new("backup");
    let target = scratch.path("copy.db");
    let out = herald(
        &scratch.0,
        &["backup", target.to_str().unwrap()],
        &[(
            "HERALD_DATABASE_URL",
            "postgres://herald@127.0.0.1:1/herald",
        )],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("pg_dump"),
        "{}",
        text(&out.stderr)
    );
    assert!(!target.exists());

    let nowhere = format!("sqlite://{}", scratch.path("absent.db").display());
    let out = herald(
        &scratch.0,
        &["backup", target.to_str().unwrap()],
        &[("HERALD_DATABASE_URL", &nowhere)],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no SQLite database"),
        "{}",
        text(&out.stderr)
    );
    assert!(!target.exists() && !scratch.path("absent.db").exists());
}
