//! SMTP replies and a struggling relay: temporary and permanent replies,
//! Retry-After, pauses after failures, hangs, and the send rate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::fake_smtp::FakeSmtp;
use crate::helpers::{add_confirmed, readers, spawn_app_with, unique_email, wait_digest_status};

use super::*;

#[tokio::test]
async fn temporary_replies_retry_with_growing_gaps_and_permanent_ones_fail_once() {
    let flaky = unique_email();
    let bad = unique_email();
    let (f, b) = (flaky.clone(), bad.clone());
    let smtp = FakeSmtp::start(Arc::new(move |rcpt: &str, attempt: usize| {
        if rcpt == f && attempt <= 2 {
            "451 4.3.0 Temporary local problem, try later".to_string()
        } else if rcpt == b {
            format!("550 5.1.1 <{b}>: No such user here")
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
    let reply = d["failures"][0]["error"].as_str().unwrap();
    assert!(
        reply.contains("550") && reply.contains("No such user"),
        "{d}"
    );
    // The reply named the address; what is kept and logged doesn't.
    assert!(!reply.contains(&bad), "{reply}");

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
