//! The delivery engine under faults: temporary and permanent SMTP replies,
//! a struggling relay, processes killed or stopped mid-send, and several
//! workers sharing one queue.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fake_smtp::FakeSmtp;
use crate::helpers::{
    add_confirmed, add_item, digest, emails_by_recipient, emails_to, random_hex, readers,
    send_digest, smtp_url, spawn_app, spawn_app_with, unique_email, wait_digest_status, TestApp,
};

async fn start_digest(app: &TestApp) -> i64 {
    add_item(
        app,
        &format!("News {}", random_hex(6)),
        "https://news.example/n",
        "",
    )
    .await;
    let r = send_digest(app, "daily", None).await;
    assert_eq!(r.status(), 202);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn temporary_replies_retry_with_growing_gaps_and_permanent_ones_fail_once() {
    let flaky = unique_email();
    let bad = unique_email();
    let (f, b) = (flaky.clone(), bad.clone());
    let smtp = FakeSmtp::start(Arc::new(move |rcpt: &str, attempt: usize| {
        if rcpt == f && attempt <= 2 {
            "451 4.3.0 Temporary local problem, try later".to_string()
        } else if rcpt == b {
            "550 5.1.1 No such user here".to_string()
        } else {
            "250 2.1.5 OK".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[
        ("smtp_url", &smtp.url),
        ("retry_base", "200ms"),
        ("retry_max", "5s"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    let fine = [unique_email(), unique_email()];
    for e in [&flaky, &bad, &fine[0], &fine[1]] {
        add_confirmed(&app, "daily", e).await;
    }
    let id = start_digest(&app).await;
    let d = wait_digest_status(&app, id, "sent").await;
    assert_eq!(
        (d["sent"].as_i64(), d["failed"].as_i64()),
        (Some(3), Some(1)),
        "{d}"
    );
    assert_eq!(d["failures"][0]["recipient"], bad.as_str());
    assert!(
        d["failures"][0]["error"].as_str().unwrap().contains("550"),
        "{d}"
    );

    assert_eq!(smtp.delivered(&flaky), 1);
    let tries = smtp.attempts(&flaky);
    assert_eq!(tries.len(), 3);
    let (gap1, gap2) = (tries[1] - tries[0], tries[2] - tries[1]);
    assert!(gap1 >= Duration::from_millis(150), "{gap1:?}");
    assert!(gap2 > gap1, "backoff grows: {gap1:?} then {gap2:?}");
    assert_eq!(smtp.attempts(&bad).len(), 1, "a 5xx is not retried");
    assert_eq!(smtp.delivered(&bad), 0);
    for e in &fine {
        assert_eq!((smtp.attempts(e).len(), smtp.delivered(e)), (1, 1));
    }
}

#[tokio::test]
async fn a_server_that_says_when_to_come_back_is_believed() {
    let smtp = FakeSmtp::start(Arc::new(|_: &str, attempt: usize| {
        if attempt == 1 {
            "451 4.7.1 Greylisted, try again in 2 seconds".to_string()
        } else {
            "250 OK".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[("smtp_url", &smtp.url), ("retry_base", "50ms")]).await;
    app.add_newsletter("daily", "Daily").await;
    let reader = unique_email();
    add_confirmed(&app, "daily", &reader).await;
    let id = start_digest(&app).await;
    wait_digest_status(&app, id, "sent").await;
    let tries = smtp.attempts(&reader);
    assert_eq!(tries.len(), 2);
    assert!(
        tries[1] - tries[0] >= Duration::from_millis(1900),
        "{:?}",
        tries[1] - tries[0]
    );
}

#[tokio::test]
async fn a_run_of_temporary_failures_pauses_claiming() {
    let smtp = FakeSmtp::start(Arc::new(|_: &str, attempt: usize| {
        if attempt <= 2 {
            "421 4.3.2 System not accepting network messages".to_string()
        } else {
            "250 OK".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[
        ("smtp_url", &smtp.url),
        ("retry_base", "50ms"),
        ("retry_max", "200ms"),
        ("breaker_threshold", "4"),
        ("breaker_cooloff", "1500ms"),
        ("smtp_pool", "1"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    let all = readers(&app, 6).await;
    let id = start_digest(&app).await;
    wait_digest_status(&app, id, "sent").await;
    for e in &all {
        assert_eq!(smtp.delivered(e), 1, "{e}");
    }
    // Retries alone are at most ~240 ms apart; a cool-off leaves a long gap.
    let times = smtp.all_attempts();
    let longest = times.windows(2).map(|w| w[1] - w[0]).max().unwrap();
    assert!(
        longest >= Duration::from_millis(1400),
        "no cool-off seen: longest gap {longest:?}"
    );
}

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
async fn a_server_that_hangs_or_hangs_up_after_data_is_retried_without_holding_others_up() {
    let hangs = unique_email();
    let drops = unique_email();
    let (h, d) = (hangs.clone(), drops.clone());
    let smtp = FakeSmtp::start(Arc::new(move |rcpt: &str, attempt: usize| {
        match (rcpt, attempt) {
            (r, 1) if r == h => "250 HANG".to_string(),
            (r, 1) if r == d => "250 CLOSE".to_string(),
            _ => "250 OK".to_string(),
        }
    }))
    .await;
    let app = spawn_app_with(&[
        ("smtp_url", &smtp.url),
        ("smtp_timeout", "2s"),
        ("smtp_pool", "4"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    add_confirmed(&app, "daily", &hangs).await;
    add_confirmed(&app, "daily", &drops).await;
    let others = readers(&app, 12).await;
    let started = Instant::now();
    let id = start_digest(&app).await;
    // The others go through while the hanging connection waits out its timeout.
    let deadline = Instant::now() + Duration::from_secs(20);
    while others.iter().any(|e| smtp.delivered(e) == 0) {
        assert!(Instant::now() < deadline, "others were held up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "others waited for the hung one: {:?}",
        started.elapsed()
    );
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(
        (done["sent"].as_i64(), done["failed"].as_i64()),
        (Some(14), Some(0)),
        "{done}"
    );
    for e in [&hangs, &drops] {
        assert_eq!(smtp.attempts(e).len(), 2, "{e} retried once");
        assert_eq!(smtp.delivered(e), 1, "{e}");
    }
    for e in &others {
        assert_eq!(smtp.delivered(e), 1, "{e}");
    }
}

#[tokio::test]
async fn the_send_rate_is_never_exceeded_in_any_second() {
    let smtp = FakeSmtp::start(Arc::new(|_: &str, _: usize| "250 OK".to_string())).await;
    let app = spawn_app_with(&[
        ("smtp_url", &smtp.url),
        ("send_rate", "20"),
        ("smtp_pool", "4"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    let all = readers(&app, 60).await;
    let id = start_digest(&app).await;
    wait_digest_status(&app, id, "sent").await;
    let times = smtp.all_attempts();
    assert_eq!(times.len(), all.len());
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .filter(|u| **u - *t < Duration::from_secs(1))
            .count();
        assert!(in_window <= 20, "{in_window} sends within a second");
    }
    assert!(
        *times.last().unwrap() - times[0] >= Duration::from_secs(2),
        "the limit was applied"
    );
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
