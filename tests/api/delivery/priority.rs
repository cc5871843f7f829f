//! The priority lane: mail that is not a digest delivery (a confirmation)
//! is claimed before a digest's backlog.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fake_smtp::FakeSmtp;
use crate::helpers::{digest, readers, spawn_app_with, unique_email, wait_digest_status};

use super::*;

#[tokio::test]
async fn a_confirmation_queued_during_a_digest_goes_out_before_the_digests_backlog() {
    let smtp = FakeSmtp::start(Arc::new(|_: &str, _: usize| "250 2.1.5 OK".to_string())).await;
    // 40 messages a second: the digest's 200 take five seconds.
    let app = spawn_app_with(&[
        ("smtp_url", &smtp.url),
        ("send_rate", "40"),
        ("smtp_pool", "2"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    readers(&app, 200).await;
    let id = start_digest(&app).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while digest(&app, id).await["sent"].as_i64().unwrap_or(0) == 0 {
        assert!(Instant::now() < deadline, "the digest never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let reader = unique_email();
    assert_eq!(app.signup(&reader, &["daily"]).await.status(), 202);
    while smtp.delivered(&reader) == 0 {
        assert!(Instant::now() < deadline, "no confirmation email");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let progress: Value = digest(&app, id).await;
    let sent = progress["sent"].as_i64().unwrap();
    assert!(
        sent < 150,
        "the confirmation waited for {sent} of the digest's 200: {progress}"
    );
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(done["sent"].as_i64(), Some(200), "{done}");
}
