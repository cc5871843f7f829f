//! The SMTP server down at signup and up later: the signup still answers at
//! once, and exactly one email arrives once the server is back.

use std::time::{Duration, Instant};

use tokio::net::TcpListener;

use crate::helpers::{emails_to, free_port, relay, spawn_app_with, unique_email, wait_for_emails};

async fn max_attempts(app: &crate::helpers::TestApp) -> i64 {
    let sql = "SELECT COALESCE(MAX(attempts), 0) FROM messages";
    match &app.store {
        herald::store::Store::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(p)
            .await
            .unwrap(),
        herald::store::Store::Postgres(p) => i64::from(
            sqlx::query_scalar::<_, i32>(sql)
                .fetch_one(p)
                .await
                .unwrap(),
        ),
    }
}

#[tokio::test]
async fn signup_while_smtp_is_down_delivers_once_it_is_back() {
    // A port with nothing listening: connections are refused.
    let port = free_port();
    let app = spawn_app_with(&[("smtp_url", &format!("smtp://127.0.0.1:{port}"))]).await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();

    let started = Instant::now();
    let r = app.signup(&email, &["daily"]).await;
    assert_eq!(r.status(), 202);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the signup did not wait for SMTP"
    );

    // Wait for a few failed attempts; the message stays queued.
    let deadline = Instant::now() + Duration::from_secs(20);
    while max_attempts(&app).await < 3 {
        assert!(Instant::now() < deadline, "no retries seen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.message_count("sent").await, 0);
    assert_eq!(app.message_count("failed").await, 0);
    assert!(emails_to(&email).await.is_empty());

    // The server comes back.
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(relay(listener));
    wait_for_emails(&email, 1).await;
    app.wait_queue_drained().await;
    assert_eq!(emails_to(&email).await.len(), 1);
    assert_eq!(app.message_count("sent").await, 1);
}

/// A one-connection-at-a-time SMTP server that refuses every recipient with
/// 550, and counts the RCPT commands it saw.
async fn rejecting_smtp(
    listener: TcpListener,
    rcpts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let rcpts = rcpts.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            let _ = write.write_all(b"220 reject.test ESMTP\r\n").await;
            while let Ok(Some(line)) = lines.next_line().await {
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 reject.test\r\n",
                    "RCPT" => {
                        rcpts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        b"550 5.1.1 No such user here\r\n"
                    }
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    }
                    _ => b"250 OK\r\n",
                };
                if write.write_all(reply).await.is_err() {
                    return;
                }
            }
        });
    }
}

#[tokio::test]
async fn a_permanent_refusal_marks_the_message_failed_without_retrying() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let rcpts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    tokio::spawn(rejecting_smtp(listener, rcpts.clone()));
    let app = spawn_app_with(&[("smtp_url", &format!("smtp://127.0.0.1:{port}"))]).await;
    app.add_newsletter("daily", "Daily").await;
    assert_eq!(app.signup(&unique_email(), &["daily"]).await.status(), 202);

    app.wait_queue_drained().await;
    assert_eq!(app.message_count("failed").await, 1);
    assert_eq!(app.message_count("sent").await, 0);
    assert_eq!(max_attempts(&app).await, 1);
    assert_eq!(rcpts.load(std::sync::atomic::Ordering::SeqCst), 1);
}
