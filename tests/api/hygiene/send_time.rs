//! Bounces the relay reports while sending: a 5xx (but 552) suppresses at
//! once; temporary failures that end three digests' deliveries suppress.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::fake_smtp::FakeSmtp;
use crate::helpers::{add_confirmed, confirm, spawn_app_with, unique_email, wait_digest_status};

use super::*;

#[tokio::test]
async fn a_hard_bounce_suppresses_and_the_next_digest_skips_the_address() {
    let (dead, busy, fine) = (unique_email(), unique_email(), unique_email());
    let (d, b) = (dead.clone(), busy.clone());
    let smtp = FakeSmtp::start(Arc::new(move |rcpt: &str, attempt: usize| {
        if rcpt == d {
            format!("550 5.1.1 <{d}>: Recipient address rejected: User unknown")
        } else if rcpt == b && attempt == 1 {
            // Too many recipients: temporary, whatever its first digit says.
            "552 4.5.3 Too many recipients, try later".to_string()
        } else {
            "250 2.1.5 OK".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[("smtp_url", &smtp.url), ("retry_base", "100ms")]).await;
    app.add_newsletter("daily", "Daily").await;
    for e in [&dead, &busy, &fine] {
        add_confirmed(&app, "daily", e).await;
    }
    let first = start_digest(&app).await;
    let d1 = wait_digest_status(&app, first, "sent").await;
    assert_eq!(
        (d1["sent"].as_i64(), d1["failed"].as_i64()),
        (Some(2), Some(1)),
        "{d1}"
    );

    let s = suppression_of(&app, &dead)
        .await
        .expect("the dead address is suppressed");
    assert_eq!(s["reason"], "hard_bounce", "{s}");
    assert_eq!(s["source"], "smtp", "{s}");
    let evidence = s["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("550") && evidence.contains("User unknown"),
        "{s}"
    );
    assert!(
        !evidence.contains(&dead),
        "the reply's address is not kept: {s}"
    );
    assert_eq!(
        app.status_of("daily", &dead).await.as_deref(),
        Some("bounced")
    );
    assert!(
        suppression_of(&app, &busy).await.is_none(),
        "a 552 is not a bounce"
    );
    assert_eq!(
        app.status_of("daily", &busy).await.as_deref(),
        Some("confirmed")
    );

    let second = start_digest(&app).await;
    let d2 = wait_digest_status(&app, second, "sent").await;
    assert_eq!(d2["recipients"].as_i64(), Some(2), "{d2}");
    assert_eq!(
        smtp.attempts(&dead).len(),
        1,
        "no second digest to a bounced address"
    );
    assert_eq!(smtp.delivered(&fine), 2);
    assert_eq!(smtp.delivered(&busy), 2);
}

#[tokio::test]
async fn temporary_failures_in_three_digests_make_a_soft_bounce() {
    let (full, fine) = (unique_email(), unique_email());
    let f = full.clone();
    let refusing = Arc::new(AtomicBool::new(true));
    let refuse = refusing.clone();
    let smtp = FakeSmtp::start(Arc::new(move |rcpt: &str, _: usize| {
        if rcpt == f && refuse.load(Ordering::SeqCst) {
            "452 4.2.2 Mailbox full".to_string()
        } else {
            "250 OK".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[
        ("smtp_url", &smtp.url),
        ("retry_base", "50ms"),
        ("retry_max", "100ms"),
        ("retry_for", "300ms"),
        ("breaker_threshold", "1000"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    add_confirmed(&app, "daily", &full).await;
    add_confirmed(&app, "daily", &fine).await;
    for round in 1..=3 {
        let id = start_digest(&app).await;
        let d = wait_digest_status(&app, id, "sent").await;
        assert_eq!(d["failed"].as_i64(), Some(1), "round {round}: {d}");
        let suppressed = suppression_of(&app, &full).await;
        if round < 3 {
            assert!(suppressed.is_none(), "round {round}: {suppressed:?}");
            assert_eq!(
                app.status_of("daily", &full).await.as_deref(),
                Some("confirmed")
            );
        } else {
            let s = suppressed.expect("the third failed digest suppresses");
            assert_eq!(s["reason"], "soft_bounce", "{s}");
            assert!(s["evidence"].as_str().unwrap().contains("452"), "{s}");
        }
    }
    assert_eq!(
        app.status_of("daily", &full).await.as_deref(),
        Some("bounced")
    );
    let tries = smtp.attempts(&full).len();
    let id = start_digest(&app).await;
    let d = wait_digest_status(&app, id, "sent").await;
    assert_eq!(d["recipients"].as_i64(), Some(1), "{d}");
    assert_eq!(smtp.attempts(&full).len(), tries);
    assert_eq!(smtp.delivered(&fine), 4);

    // The mailbox is emptied; the reader signs up and confirms, which lifts
    // the suppression and starts the count again: one more full mailbox
    // is not a fourth strike.
    refusing.store(false, Ordering::SeqCst);
    assert_eq!(app.signup(&full, &["daily"]).await.status(), 202);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while smtp.messages(&full).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no confirmation email"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = token_in_raw(&smtp.messages(&full)[0].1, "confirm");
    assert_eq!(confirm(&app, &token).await.status(), 200);
    assert!(suppression_of(&app, &full).await.is_none());
    refusing.store(true, Ordering::SeqCst);
    let id = start_digest(&app).await;
    let d = wait_digest_status(&app, id, "sent").await;
    assert_eq!(d["failed"].as_i64(), Some(1), "{d}");
    assert!(suppression_of(&app, &full).await.is_none());
    assert_eq!(
        app.status_of("daily", &full).await.as_deref(),
        Some("confirmed")
    );
}
