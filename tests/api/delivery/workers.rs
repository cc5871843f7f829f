//! Worker processes killed or stopped mid-send, several workers sharing
//! one queue, and the database going away mid-send.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{
    digest, emails_by_recipient, emails_to, random_hex, readers, smtp_url, spawn_app,
    spawn_app_with, wait_digest_status, TestApp,
};

use super::*;

/// A `herald worker` process on the test app's database.
fn worker_process(app: &TestApp, smtp: &str, extra: &[(&str, &str)]) -> tokio::process::Child {
    let dir = std::env::temp_dir().join(format!("herald-worker-{}", random_hex(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.arg("worker")
        .current_dir(&dir)
        .env("HERALD_DATABASE_URL", &app.db.url)
        .env("HERALD_SMTP_URL", smtp)
        .env("HERALD_FROM", "Herald Test <news@herald.test>")
        .env("HERALD_BASE_URL", &app.address)
        .env("HERALD_WORKER_POLL", "100ms")
        .env("HERALD_LEASE", "30s")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("start herald worker")
}

async fn wait_sent(app: &TestApp, id: i64, at_least: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while digest(app, id).await["sent"].as_i64().unwrap() < at_least {
        assert!(Instant::now() < deadline, "fewer than {at_least} sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sigkill_a_third_of_the_way_then_restart_completes_with_duplicates_only_in_flight() {
    let app = spawn_app_with(&[("workers", "0")]).await; // HTTP only
    app.add_newsletter("daily", "Daily").await;
    let all = readers(&app, 1000).await;
    let smtp = smtp_url();
    let id = start_digest(&app).await;
    // A short lease, so the restart reclaims what the killed one held.
    let lease = [("HERALD_LEASE", "3s")];
    let mut first = worker_process(&app, &smtp, &[("HERALD_SMTP_POOL", "2"), lease[0]]);
    wait_sent(&app, id, 333).await;
    first.kill().await.unwrap(); // SIGKILL
    let mid = digest(&app, id).await;
    assert!(
        mid["pending"].as_i64().unwrap() > 0,
        "killed in the middle: {mid}"
    );

    let mut second = worker_process(&app, &smtp, &lease);
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(done["sent"].as_i64(), Some(1000), "{done}");
    second.kill().await.unwrap();

    let mut twice = 0;
    for (e, mails) in emails_by_recipient(&all).await {
        assert!(!mails.is_empty(), "{e} got nothing");
        if mails.len() > 1 {
            twice += 1;
            let ids: Vec<&Value> = mails.iter().map(|m| &m["headers"]["message-id"]).collect();
            assert!(
                ids.windows(2).all(|w| w[0] == w[1]),
                "a duplicate keeps its Message-ID: {ids:?}"
            );
        }
    }
    // At most the claimed batch (2 connections × 2) was in flight.
    assert!(twice <= 4, "{twice} duplicates");
}

#[tokio::test]
async fn sigterm_finishes_what_is_in_flight_exits_0_and_a_restart_sends_no_duplicate() {
    let app = spawn_app_with(&[("workers", "0")]).await;
    app.add_newsletter("daily", "Daily").await;
    let all = readers(&app, 1000).await;
    let smtp = smtp_url();
    let id = start_digest(&app).await;
    let mut first = worker_process(&app, &smtp, &[]);
    wait_sent(&app, id, 333).await;
    let pid = first.id().unwrap().to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(30), first.wait())
        .await
        .expect("exits within the deadline")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(app.message_count("sending").await, 0, "nothing left leased");
    let stopped = digest(&app, id).await;
    assert!(
        stopped["pending"].as_i64().unwrap() > 0,
        "stopped in the middle: {stopped}"
    );

    let mut second = worker_process(&app, &smtp, &[]);
    wait_digest_status(&app, id, "sent").await;
    second.kill().await.unwrap();
    for (e, mails) in emails_by_recipient(&all).await {
        assert_eq!(mails.len(), 1, "{e}");
    }
}

#[tokio::test]
async fn two_worker_processes_and_serve_send_each_message_once() {
    let app = spawn_app().await; // serve, with its own worker
    app.add_newsletter("daily", "Daily").await;
    let all = readers(&app, 1000).await;
    let id = start_digest(&app).await;
    let smtp = smtp_url();
    let mut procs: Vec<_> = (0..2).map(|_| worker_process(&app, &smtp, &[])).collect();
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(
        (done["sent"].as_i64(), done["failed"].as_i64()),
        (Some(1000), Some(0)),
        "{done}"
    );
    for p in &mut procs {
        p.kill().await.unwrap();
    }
    for (e, mails) in emails_by_recipient(&all).await {
        assert_eq!(mails.len(), 1, "{e}");
    }
}

#[tokio::test]
async fn several_workers_in_one_process_share_the_queue() {
    let app = spawn_app_with(&[("workers", "4")]).await;
    app.add_newsletter("daily", "Daily").await;
    let all = readers(&app, 120).await;
    let id = start_digest(&app).await;
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(
        (done["sent"].as_i64(), done["failed"].as_i64()),
        (Some(120), Some(0)),
        "{done}"
    );
    app.wait_queue_drained().await;
    for e in &all {
        assert_eq!(emails_to(e).await.len(), 1, "{e}");
    }
}

#[tokio::test]
async fn the_database_going_away_mid_send_is_survived() {
    // PostgreSQL only: every connection of the app is cut mid-send, as a
    // restart would. (SQLite has no server to lose.)
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        return;
    };
    let app = spawn_app_with(&[("lease", "2s"), ("smtp_pool", "2")]).await;
    app.add_newsletter("daily", "Daily").await;
    let all = readers(&app, 300).await;
    let id = start_digest(&app).await;
    wait_sent(&app, id, 30).await;
    let db_name = url::Url::parse(&app.db.url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    let admin = herald::store::Store::connect(&admin_url).await.unwrap();
    let herald::store::Store::Postgres(pool) = &admin else {
        unreachable!()
    };
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&db_name)
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!cut.is_empty(), "connections were cut");
    admin.close().await;

    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(done["pending"].as_i64(), Some(0), "{done}");
    for (e, mails) in emails_by_recipient(&all).await {
        assert!(!mails.is_empty(), "{e} got nothing");
    }
    // Still serving (a fresh connection: the old keep-alive may have timed out).
    let health = reqwest::get(app.url("/health")).await.unwrap();
    assert_eq!(health.status(), 200, "still serving");
}
