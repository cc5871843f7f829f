//! Two processes on one database (this test's server and a real `herald
//! worker`) share the webhook queue: each event is sent once.

use std::process::Stdio;
use std::time::Duration;

use super::{add_endpoint, Receiver};
use crate::helpers::{add_confirmed, random_hex, spawn_app_with, unique_email};

#[tokio::test]
async fn a_server_and_a_worker_on_one_database_send_each_event_once() {
    let app = spawn_app_with(&[
        ("feeds_allow_private", "true"),
        ("webhook_retry_base", "100ms"),
    ])
    .await;
    app.add_newsletter("daily", "Daily briefing").await;
    let mut receiver = Receiver::start(0).await;
    let created = add_endpoint(&app, &receiver.url(), &["subscriber.confirmed"]).await;
    receiver
        .give_secret(created["secret"].as_str().unwrap())
        .await;

    let dir = std::env::temp_dir().join(format!("herald-worker-{}", random_hex(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let _worker = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("worker")
        .current_dir(&dir)
        .env("HERALD_DATABASE_URL", &app.db.url)
        .env("HERALD_OUTBOX_DIR", dir.join("outbox"))
        .env("HERALD_WORKER_POLL", "20ms")
        .env("HERALD_FEEDS_ALLOW_PRIVATE", "true")
        .env_remove("HERALD_SMTP_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start herald worker");

    let n = 30;
    for _ in 0..n {
        add_confirmed(&app, "daily", &unique_email()).await;
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    let want = vec!["subscriber.confirmed"; n];
    let state = receiver.wait_for(&want).await;
    // Late duplicates would show up after the last first delivery.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let state = {
        let later = receiver.state().await;
        assert_eq!(later["calls"], state["calls"], "nothing more was sent");
        later
    };
    assert_eq!(state["events"].as_object().unwrap().len(), n);
    assert_eq!(
        state["accepted"].as_array().unwrap().len(),
        n,
        "each once: {state}"
    );
    assert_eq!(state["bad_signatures"], 0);
    let sql = "SELECT COUNT(DISTINCT worker_id) FROM webhook_deliveries";
    let senders: i64 = match &app.store {
        herald::store::Store::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        herald::store::Store::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
    }
    .unwrap();
    eprintln!("webhook senders: {senders}");
    let _ = std::fs::remove_dir_all(dir);
}
