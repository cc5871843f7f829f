//! A digest paused, resumed and cancelled mid-send, and a reader who
//! unsubscribes before their turn.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{
    add_confirmed, add_item, digest, emails_to, free_port, readers, send_digest, set_status,
    slow_relay, spawn_app_with, unique_email, wait_digest_status,
};

#[tokio::test]
async fn pause_in_the_middle_and_resume_sends_each_exactly_once() {
    // A slow relay in front of the capture server keeps the send going long
    // enough to pause it half way.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(slow_relay(listener, Duration::from_millis(15)));
    let app = spawn_app_with(&[
        ("smtp_url", &format!("smtp://127.0.0.1:{port}")),
        ("smtp_pool", "1"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    let readers: Vec<String> = readers(&app, 60).await;
    add_item(&app, "Big news", "https://news.example/big", "").await;

    let d: Value = send_digest(&app, "daily", None).await.json().await.unwrap();
    let id = d["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while digest(&app, id).await["sent"].as_i64().unwrap() < 1 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = app
        .client
        .post(app.url(&format!("/api/admin/digests/{id}/pause")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let paused: Value = r.json().await.unwrap();
    assert_eq!(paused["status"], "paused");
    // Deliveries in flight finish; then nothing moves.
    app.wait_no_sending().await;
    let stopped = digest(&app, id).await;
    let sent_at_pause = stopped["sent"].as_i64().unwrap();
    assert!(
        (1..60).contains(&sent_at_pause),
        "paused in the middle: {stopped}"
    );
    assert_eq!(stopped["status"], "paused");
    assert!(stopped["pending"].as_i64().unwrap() > 0);
    app.wait_no_sending().await;
    assert_eq!(
        digest(&app, id).await["sent"].as_i64().unwrap(),
        sent_at_pause
    );

    let r = app
        .client
        .post(app.url(&format!("/api/admin/digests/{id}/resume")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(done["sent"].as_i64(), Some(60));
    for e in &readers {
        assert_eq!(emails_to(e).await.len(), 1, "{e}");
    }
    // A finished digest can't be paused or resumed.
    let r = app
        .client
        .post(app.url(&format!("/api/admin/digests/{id}/pause")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn cancel_stops_what_was_not_sent() {
    let app = spawn_app_with(&[("smtp_url", "smtp://127.0.0.1:9")]).await; // nothing listens: all retry
    app.add_newsletter("daily", "Daily").await;
    for _ in 0..3 {
        add_confirmed(&app, "daily", &unique_email()).await;
    }
    add_item(&app, "One", "https://news.example/1", "").await;
    let d: Value = send_digest(&app, "daily", None).await.json().await.unwrap();
    let id = d["id"].as_i64().unwrap();
    let r = app
        .client
        .post(app.url(&format!("/api/admin/digests/{id}/cancel")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.wait_no_sending().await;
    let d = digest(&app, id).await;
    assert_eq!(d["status"], "cancelled");
    assert_eq!(d["pending"].as_i64(), Some(0), "{d}");
    assert_eq!(d["sent"].as_i64(), Some(0));
    assert!(d["finished_at"].is_string());
    assert_eq!(app.message_count("queued").await, 0);
    for action in ["pause", "resume", "cancel"] {
        let r = app
            .client
            .post(app.url(&format!("/api/admin/digests/{id}/{action}")))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409, "{action}");
    }
    let r = app
        .client
        .post(app.url("/api/admin/digests/999999/pause"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.admin_get("/api/admin/digests/999999").await.status(),
        404
    );
    assert_eq!(app.admin_get("/api/admin/digests/nope").await.status(), 404);
}

#[tokio::test]
async fn a_reader_who_unsubscribes_before_their_turn_is_skipped() {
    // SMTP is down when the digest is created, so nothing can go out
    // before the reader unsubscribes; then the server comes back.
    let port = free_port();
    let app = spawn_app_with(&[("smtp_url", &format!("smtp://127.0.0.1:{port}"))]).await;
    app.add_newsletter("daily", "Daily").await;
    let stays = unique_email();
    let leaves = unique_email();
    add_confirmed(&app, "daily", &stays).await;
    add_confirmed(&app, "daily", &leaves).await;
    add_item(&app, "News", "https://news.example/n", "").await;
    let d: Value = send_digest(&app, "daily", None).await.json().await.unwrap();
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["recipients"].as_i64(), Some(2));

    let r = set_status(&app, "daily", &leaves, "unsubscribed").await;
    assert_eq!(r.status(), 200);
    // The next claim after the change skips the leaver without the relay.
    // (A send that had already begun before the change may still deliver:
    // the check is made when a message is claimed, as late as it can be.)
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while digest(&app, id).await["skipped"].as_i64() != Some(1) {
        assert!(std::time::Instant::now() < deadline, "never skipped");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(slow_relay(listener, Duration::ZERO));
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(
        (done["sent"].as_i64(), done["skipped"].as_i64()),
        (Some(1), Some(1)),
        "{done}"
    );
    app.wait_queue_drained().await;
    assert_eq!(emails_to(&stays).await.len(), 1);
    assert_eq!(emails_to(&leaves).await.len(), 0);
}
