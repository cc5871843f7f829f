//! Strangers' guesses (wrong admin tokens, made-up confirm and unsubscribe
//! links) write nothing, and a client that keeps guessing is slowed down.

use std::time::{Duration, Instant};

use crate::helpers::{spawn_app, spawn_app_with};

/// With another connection holding SQLite's write lock, a wrong bearer
/// token and an unknown confirmation token still answer at once: they only
/// read. (Before, both waited for the lock: every guess was a write.)
#[tokio::test]
async fn a_guess_takes_no_write_lock() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        return; // SQLite's single write lock is what this observes.
    }
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    use sqlx::Connection;
    let mut holder = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();

    let started = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        app.client
            .get(app.url("/api/admin/newsletters"))
            .bearer_auth("not-a-token-of-ours")
            .send(),
    )
    .await
    .expect("a wrong token is refused without waiting for the write lock")
    .unwrap();
    assert_eq!(r.status(), 401);
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        app.client
            .post(app.url("/subscriptions/confirm?token=madeupmadeupmadeupmadeup"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("")
            .send(),
    )
    .await
    .expect("an unknown confirmation token is refused without waiting for the write lock")
    .unwrap();
    assert_eq!(r.status(), 404);
    assert!(started.elapsed() < Duration::from_secs(5));
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();

    // The real token still works, and records its use.
    let r = app.admin_get("/api/admin/newsletters").await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_client_that_keeps_guessing_gets_429() {
    let app = spawn_app_with(&[("auth_failure_rate", "5/min")]).await;
    app.add_newsletter("daily", "Daily").await;
    for i in 0..5 {
        let r = app
            .client
            .get(app.url("/api/admin/newsletters"))
            .bearer_auth(format!("guess-{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = app
        .client
        .get(app.url("/api/admin/newsletters"))
        .bearer_auth("guess-6")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // Links from that client too: counted together.
    let r = app
        .client
        .get(app.url("/subscriptions/unsubscribe?token=madeup"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);

    // Unknown confirmation links count the same way.
    let other = spawn_app_with(&[("auth_failure_rate", "3/min")]).await;
    for _ in 0..3 {
        let r = other
            .client
            .get(other.url("/subscriptions/confirm?token=madeupmadeupmadeup"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    let r = other
        .client
        .get(other.url("/subscriptions/confirm?token=madeupmadeupmadeup"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // A client over its limit is refused before any token is checked.
    let r = app.admin_get("/api/admin/newsletters").await;
    assert_eq!(r.status(), 429);
}

/// A body that trickles in is cut off with 408 rather than holding the
/// connection for as long as the client likes.
#[tokio::test]
async fn a_body_that_trickles_in_gets_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(&[("body_timeout", "1s")]).await;
    app.add_newsletter("daily", "Daily").await;
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!(
            "POST /subscriptions HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: 100\r\n\r\n{{\"email\":"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let started = Instant::now();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut answer))
        .await
        .expect("an answer, not a held connection")
        .unwrap();
    let head = String::from_utf8_lossy(&answer[..n]);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(crate::helpers::subscribers(&app, "daily").await.is_empty());
}
