//! Signing up again, concurrently and in bursts: answers that never tell the
//! state, one email per cooldown, and batches that keep each signup apart.

use crate::helpers::{
    confirm, emails_by_recipient, emails_to, link_token, spawn_app, spawn_app_with, unique_email,
    wait_for_emails, TestDb,
};
use herald::domain::MessageKind;
use herald::signup::{SignupJob, Signups};
use herald::store::{ConsentContext, NewMessage, NewNewsletter, Store};

/// new, pending, confirmed and unsubscribed addresses get the same answer.
#[tokio::test]
async fn resignup_answers_never_tell_the_state() {
    let app = spawn_app_with(&[("resend_cooldown", "0s")]).await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();

    let first = app.signup(&email, &["daily"]).await;
    let (status, body) = (first.status(), first.bytes().await.unwrap());
    let same = |r: reqwest::Response| {
        let body = body.clone();
        async move {
            assert_eq!(r.status(), status);
            assert_eq!(r.bytes().await.unwrap(), body);
        }
    };

    // Pending, again: a second email (no cooldown here), still pending.
    same(app.signup(&email, &["daily"]).await).await;
    let mails = wait_for_emails(&email, 2).await;
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );

    // Confirmed: stays confirmed, no new email.
    let token = link_token(mails[1]["text"].as_str().unwrap(), "confirm");
    let confirmed = confirm(&app, &token).await;
    assert_eq!(confirmed.status(), 200);
    let page = confirmed.text().await.unwrap().replace("&#x2f;", "/");
    same(app.signup(&email, &["daily"]).await).await;
    app.wait_queue_drained().await;
    assert_eq!(emails_to(&email).await.len(), 2);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );

    // Unsubscribed (through the link on the confirmed page): pending
    // again, with a new confirmation email.
    let unsub = link_token(&page, "unsubscribe");
    let r = app
        .post_form(
            &format!("/subscriptions/unsubscribe?token={unsub}"),
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("unsubscribed")
    );
    same(app.signup(&email, &["daily"]).await).await;
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );
    wait_for_emails(&email, 3).await;

    // And a brand-new address gets the very same answer.
    same(app.signup(&unique_email(), &["daily"]).await).await;
}

#[tokio::test]
async fn one_confirmation_per_cooldown() {
    let app = spawn_app().await; // default cooldown: 10 minutes
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    for _ in 0..3 {
        assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    }
    // Same address in other case and with spaces is the same address.
    assert_eq!(
        app.signup(&format!("  {} ", email.to_uppercase()), &["daily"])
            .await
            .status(),
        202
    );
    app.wait_queue_drained().await;
    assert_eq!(emails_to(&email).await.len(), 1);
}

#[tokio::test]
async fn concurrent_signups_of_one_address_send_one_email() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let attempts = (0..12).map(|_| app.signup(&email, &["daily"]));
    for r in futures_util::future::join_all(attempts).await {
        assert_eq!(r.status(), 202);
    }
    app.wait_queue_drained().await;
    assert_eq!(emails_to(&email).await.len(), 1);
    assert_eq!(app.message_count("sent").await, 1);
}

/// Signups that arrive together are written together (one transaction of
/// multi-row statements); each must still get its own subscriptions and
/// its own email, and an address repeated in the burst still gets one.
#[tokio::test]
async fn a_burst_of_signups_keeps_each_ones_subscriptions_and_email() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    app.add_newsletter("weekly", "Weekly review").await;
    let repeated = unique_email();
    let distinct: Vec<String> = (0..40).map(|_| unique_email()).collect();
    let mut attempts = Vec::new();
    for (i, e) in distinct.iter().enumerate() {
        let lists: &[&str] = if i % 2 == 0 {
            &["daily"]
        } else {
            &["daily", "weekly"]
        };
        attempts.push(app.signup(e, lists));
        if i % 4 == 0 {
            attempts.push(app.signup(&repeated, &["weekly"]));
        }
    }
    for r in futures_util::future::join_all(attempts).await {
        assert_eq!(r.status(), 202);
    }
    app.wait_queue_drained().await;

    let mut all = distinct.clone();
    all.push(repeated.clone());
    let mails = emails_by_recipient(&all).await;
    for (i, e) in distinct.iter().enumerate() {
        assert_eq!(mails[e].len(), 1, "one confirmation for {e}");
        let text = mails[e][0]["text"].as_str().unwrap();
        assert!(text.contains("Daily briefing"), "{text}");
        assert_eq!(text.contains("Weekly review"), i % 2 == 1, "{text}");
        assert_eq!(app.status_of("daily", e).await.as_deref(), Some("pending"));
        let weekly = app.status_of("weekly", e).await;
        assert_eq!(weekly.is_some(), i % 2 == 1, "{e} on weekly: {weekly:?}");
    }
    assert_eq!(mails[&repeated].len(), 1);
    assert_eq!(app.message_count("sent").await, 41);

    // Each email carries its own working token.
    let token = link_token(mails[&distinct[3]][0]["text"].as_str().unwrap(), "confirm");
    let r = confirm(&app, &token).await;
    assert!(r.status().is_success() || r.status().is_redirection());
    assert_eq!(
        app.status_of("weekly", &distinct[3]).await.as_deref(),
        Some("confirmed")
    );
    assert_eq!(
        app.status_of("weekly", &distinct[1]).await.as_deref(),
        Some("pending")
    );
}

/// A signup that can't be written (its newsletter is gone) fails alone:
/// the batch it was coalesced into is rolled back and written again one
/// signup at a time, and every other signup in it is recorded.
#[tokio::test]
async fn a_signup_that_fails_in_a_batch_takes_no_other_with_it() {
    let db = TestDb::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let daily = store
        .create_newsletter(NewNewsletter {
            slug: "daily",
            name: "Daily",
            description: "",
            from_name: None,
            from_address: None,
            reply_to: None,
            digest_subject: None,
            ..Default::default()
        })
        .await
        .unwrap();
    let job = |email: String, newsletter_id: i64| {
        let recipient = email.clone();
        SignupJob {
            email,
            name: None,
            newsletter_ids: vec![newsletter_id],
            cooldown: chrono::Duration::hours(1),
            confirm_ttl: chrono::Duration::hours(48),
            token_hash: format!("hash-{}", unique_email()),
            consent: ConsentContext::default(),
            expected: vec!["Daily".to_string()],
            render: Box::new(move |_| {
                Ok(NewMessage {
                    kind: MessageKind::Confirm,
                    recipient: recipient.clone(),
                    message_id: format!("<{}>", unique_email()),
                    subject: "Confirm".to_string(),
                    body_text: "text".to_string(),
                    body_html: "<p>html</p>".to_string(),
                    sender: None,
                    reply_to: None,
                    subscription_id: None,
                })
            }),
        }
    };
    let good: Vec<String> = (0..10).map(|_| unique_email()).collect();
    let mut jobs: Vec<SignupJob> = good.iter().map(|e| job(e.clone(), daily.id)).collect();
    jobs.insert(5, job(unique_email(), daily.id + 1_000_000));

    // All are queued before the writer first runs (one thread), so they
    // share a batch.
    let signups = Signups::new(store.clone());
    let results = futures_util::future::join_all(jobs.into_iter().map(|j| signups.submit(j))).await;
    assert!(results[5].is_err(), "the signup to no newsletter fails");
    for (i, r) in results.iter().enumerate().filter(|(i, _)| *i != 5) {
        assert!(r.as_ref().unwrap().email_queued, "signup {i}: {r:?}");
    }
    for e in &good {
        let row = store.subscriber_in(daily.id, e).await.unwrap();
        assert_eq!(row.status, "pending", "{e}");
    }
    store.close().await;
}
