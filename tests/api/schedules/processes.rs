//! Schedules across processes: two `herald serve` on one database send one
//! digest per slot; a server killed just before a slot and started again
//! within the grace sends that slot once, and past the grace records it as
//! missed.

use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::{DateTime, Timelike, Utc};
use serde_json::{json, Value};

use super::*;
use crate::helpers::{add_item, random_hex, spawn_app, TestDb};

/// A `herald serve` process on `db`, listening on a port of its own.
struct Server {
    child: tokio::process::Child,
    app: TestApp,
}

async fn serve(db: TestDb, token: &str, extra: &[(&str, &str)]) -> Server {
    let port = crate::helpers::free_port();
    let dir = std::env::temp_dir().join(format!("herald-serve-{}", random_hex(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let address = format!("http://127.0.0.1:{port}");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.arg("serve")
        .current_dir(&dir)
        .env("HERALD_DATABASE_URL", &db.url)
        .env("HERALD_LISTEN", format!("127.0.0.1:{port}"))
        .env("HERALD_BASE_URL", &address)
        .env("HERALD_ADMIN_TOKEN", token)
        .env("HERALD_OUTBOX_DIR", dir.join("outbox"))
        .env("HERALD_WORKER_POLL", "100ms")
        .env_remove("HERALD_SMTP_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start herald serve");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("{address}/health"))
        .send()
        .await
        .map_or(true, |r| !r.status().is_success())
    {
        assert!(Instant::now() < deadline, "herald serve did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let store = herald::store::Store::connect(&db.url).await.unwrap();
    Server {
        child,
        app: TestApp {
            address,
            client,
            store,
            admin_token: token.to_string(),
            db,
        },
    }
}

#[tokio::test]
async fn two_servers_on_one_database_send_one_digest_per_slot() {
    let first = spawn_app().await;
    first.add_newsletter("daily", "Daily").await;
    // The second server shares the first one's database.
    let second = serve(TestDb::shared(&first.db.url), &first.admin_token, &[]).await;
    // News keeps coming, so every slot has something to send.
    let app = &first;
    let feeder = async {
        for i in 0..40 {
            add_item(app, &format!("Item {i}"), "https://news.example/i", "").await;
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    };
    let (_, ()) = tokio::join!(feeder, async {
        assert_eq!(patch(&first, "daily", every(2)).await.status(), 200);
    });
    let done = wait_runs(&first, "daily", 30, |r| with_status(r, "sent").len() >= 6).await;
    let digests = digests_of(&first, &with_status(&done, "sent")).await;
    assert!(digests.len() >= 6);
    assert!(digests.iter().all(|d| d["items"].as_i64().unwrap() >= 1));
    // No digest outside the slots' own, and every slot once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = runs_of(&first).await;
    let sent = with_status(&all, "sent").len() as i64;
    assert_eq!(digest_count(&first).await, sent, "{all:?}");
    let mut slots: Vec<&str> = all.iter().map(|r| r["slot"].as_str().unwrap()).collect();
    let n = slots.len();
    slots.dedup();
    assert_eq!(slots.len(), n);
    drop(second);
}

/// The instant `ahead` from now, on a whole second, and a 6-field cron
/// expression (UTC) that fires then and only then each year.
fn one_slot(ahead: Duration) -> (DateTime<Utc>, String) {
    let t = (Utc::now() + chrono::Duration::from_std(ahead).unwrap())
        .with_nanosecond(0)
        .unwrap();
    let expr = t.format("%-S %-M %-H %-d %-m *").to_string();
    (t, expr)
}

async fn sleep_until(t: DateTime<Utc>) {
    if let Ok(d) = (t - Utc::now()).to_std() {
        tokio::time::sleep(d).await;
    }
}

/// Kills a server just before its one slot, starts another `restart_after`
/// the slot with `extra` settings, and answers the slot's runs.
async fn killed_before_the_slot(
    restart_after: Duration,
    extra: &[(&str, &str)],
) -> (Server, Vec<Value>) {
    let token = random_hex(40);
    let db = TestDb::create().await;
    let url = db.url.clone();
    let mut first = serve(db, &token, &[]).await;
    first.app.add_newsletter("daily", "Daily").await;
    add_item(&first.app, "News", "https://news.example/n", "").await;
    let (slot, expr) = one_slot(Duration::from_secs(6));
    let r = patch(
        &first.app,
        "daily",
        json!({ "schedule": expr, "timezone": "UTC" }),
    )
    .await;
    assert_eq!(r.status(), 200);
    sleep_until(slot - chrono::Duration::milliseconds(2000)).await;
    first.child.kill().await.unwrap(); // SIGKILL
    assert!(Utc::now() < slot, "the server was to die before its slot");
    let db = std::mem::replace(&mut first.app.db, TestDb::shared(&url));
    drop(first);
    sleep_until(slot + chrono::Duration::from_std(restart_after).unwrap()).await;
    let second = serve(db, &token, extra).await;
    assert_eq!(second.app.db.url, url);
    let runs = wait_runs(&second.app, "daily", 15, |r| {
        r.iter().any(|r| r["status"] != "running")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let runs_after = runs_of(&second.app).await;
    assert_eq!(
        runs.len(),
        runs_after.len(),
        "a slot ran twice: {runs_after:?}"
    );
    assert_eq!(
        runs_after[0]["slot"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        slot
    );
    (second, runs_after)
}

async fn runs_of(app: &TestApp) -> Vec<Value> {
    runs(app, "daily").await
}

#[tokio::test]
async fn a_server_killed_before_a_slot_and_back_within_the_grace_sends_it_once() {
    let (server, runs) = killed_before_the_slot(Duration::from_millis(1500), &[]).await;
    let app = &server.app;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "sent", "{runs:?}");
    assert_eq!(digest_count(app).await, 1);
    let digests = digests_of(app, &with_status(&runs, "sent")).await;
    assert_eq!(digests[0]["items"], 1);
}

#[tokio::test]
async fn a_server_back_after_the_grace_records_the_slot_as_missed() {
    let (server, runs) =
        killed_before_the_slot(Duration::from_secs(3), &[("HERALD_SCHEDULE_GRACE", "1s")]).await;
    let app = &server.app;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "missed", "{runs:?}");
    assert!(runs[0]["digest_id"].is_null());
    assert_eq!(digest_count(app).await, 0);
}
