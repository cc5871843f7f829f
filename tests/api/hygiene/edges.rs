//! Where hygiene meets consent and erasure: a tick on the preference page
//! does not mail a suppressed address again, a late report about an erased
//! address does not bring the address back, and erasure forgets the
//! delivered webhook events that name it.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use crate::fake_smtp::FakeSmtp;
use crate::helpers::{add_confirmed, admin, spawn_app_with, unique_email, wait_digest_status};
use crate::webhooks::{add_endpoint, attempts, wait_endpoint, Receiver};

use super::*;

#[tokio::test]
async fn a_tick_on_the_preference_page_does_not_mail_a_suppressed_address() {
    let dead = unique_email();
    let d = dead.clone();
    // The first digest arrives (with its manage link); the mailbox is gone
    // by the second.
    let smtp = FakeSmtp::start(Arc::new(move |rcpt: &str, attempt: usize| {
        if rcpt == d && attempt > 1 {
            "550 5.1.1 User unknown".to_string()
        } else {
            "250 OK".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[("smtp_url", &smtp.url)]).await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    add_confirmed(&app, "daily", &dead).await;
    let first = start_digest(&app).await;
    wait_digest_status(&app, first, "sent").await;
    let raw = smtp
        .messages(&dead)
        .pop()
        .expect("the first digest arrived")
        .1;
    let token = token_in_raw(&raw, "manage");
    let second = start_digest(&app).await;
    wait_digest_status(&app, second, "sent").await;
    assert_eq!(
        app.status_of("daily", &dead).await.as_deref(),
        Some("bounced")
    );

    let r = app
        .client
        .post(app.url("/subscriptions/manage"))
        .form(&[
            ("token", token.as_str()),
            ("newsletter", "daily"),
            ("newsletter", "weekly"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &dead).await.as_deref(),
        Some("bounced"),
        "a tick is not a new confirmation"
    );
    assert_eq!(app.status_of("weekly", &dead).await, None);
    assert!(suppression_of(&app, &dead).await.is_some());
}

#[tokio::test]
async fn a_late_report_about_an_erased_address_keeps_only_its_hash() {
    let password = "pm-secret-late-report";
    let app = spawn_app_with(&[("webhook_user", "postmark"), ("webhook_password", password)]).await;
    app.add_newsletter("daily", "Daily").await;
    let gone = unique_email();
    add_confirmed(&app, "daily", &gone).await;
    let path = format!("/api/admin/subscribers/{gone}");
    assert_eq!(admin(&app, Method::DELETE, &path, None).await.status(), 204);

    let event = json!({"RecordType": "Bounce", "Type": "HardBounce", "Email": gone,
        "Details": format!("smtp; 550 5.1.1 <{gone}>: unknown")});
    for _ in 0..2 {
        let r = app
            .client
            .post(app.url("/webhooks/postmark"))
            .basic_auth("postmark", Some(password))
            .json(&event)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let list = suppressions(&app).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(
        list[0]["email"].is_null() && list[0]["evidence"].is_null(),
        "{list:?}"
    );
    let held = format!("{:?}", app.store.suppressions(0, 10).await.unwrap());
    assert!(!held.contains(&gone), "{held}");
    assert_eq!(admin(&app, Method::GET, &path, None).await.status(), 404);
}

#[tokio::test]
async fn erasure_forgets_the_delivered_webhook_events_that_name_the_address() {
    let app = spawn_app_with(&[("feeds_allow_private", "true")]).await;
    app.add_newsletter("daily", "Daily").await;
    let mut receiver = Receiver::start(0).await;
    let created = add_endpoint(&app, &receiver.url(), &["subscriber.confirmed"]).await;
    receiver
        .give_secret(created["secret"].as_str().unwrap())
        .await;
    let id = created["id"].as_i64().unwrap();
    let (gone, kept) = (unique_email(), unique_email());
    add_confirmed(&app, "daily", &gone).await;
    add_confirmed(&app, "daily", &kept).await;
    receiver
        .wait_for(&["subscriber.confirmed", "subscriber.confirmed"])
        .await;
    wait_endpoint(&app, id, |w| w["pending"] == 0).await;
    assert_eq!(attempts(&app, id).await.len(), 2);

    let path = format!("/api/admin/subscribers/{gone}");
    assert_eq!(admin(&app, Method::DELETE, &path, None).await.status(), 204);
    let left = attempts(&app, id).await;
    assert_eq!(left.len(), 1, "only the kept address's event: {left:?}");
}
