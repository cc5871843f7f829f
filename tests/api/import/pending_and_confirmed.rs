//! Pending imports get confirmation mail that confirms; confirmed ones
//! record the consent note and send nothing.

use serde_json::Value;

use crate::helpers::{
    confirm, confirm_token_for, emails_to, random_hex, spawn_app, wait_for_emails,
};

use super::*;

#[tokio::test]
async fn a_pending_import_sends_confirmations_that_confirm() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("other", "Other").await;
    let run = random_hex(10);
    let (one, two, recent) = (addr("one", &run), addr("two", &run), addr("recent", &run));
    // `recent` had a confirmation moments ago: the cooldown holds the next.
    assert_eq!(app.signup(&recent, &["other"]).await.status(), 202);
    wait_for_emails(&recent, 1).await;

    let summary = import(
        &app,
        IMPORT,
        format!("email,name\n{one},One\n{two},\n{recent},\n"),
    )
    .await;
    assert_eq!(summary["imported"], 3, "{summary}");
    assert_eq!(summary["skipped"], 0);

    let token = confirm_token_for(&one).await;
    let emails = wait_for_emails(&two, 1).await;
    assert_eq!(emails.len(), 1);
    assert!(emails[0]["subject"].as_str().unwrap().contains("Daily"));
    let r = confirm(&app, &token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &one).await.as_deref(),
        Some("confirmed")
    );
    assert_eq!(
        app.status_of("daily", &two).await.as_deref(),
        Some("pending")
    );

    let data: Value = app
        .admin_get(&format!("/api/admin/subscribers/{two}"))
        .await
        .json()
        .await
        .unwrap();
    let consent = &data["consent"][0];
    assert_eq!(consent["action"], "requested");
    assert_eq!(consent["form"], "import");

    app.wait_queue_drained().await;
    assert_eq!(emails_to(&recent).await.len(), 1, "the cooldown holds");
    assert_eq!(
        app.status_of("daily", &recent).await.as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn a_confirmed_import_records_the_consent_note_and_sends_nothing() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let run = random_hex(10);
    let email = addr("fair", &run);
    let summary = import(
        &app,
        &format!("{IMPORT}?confirmed=true&consent=Signed%20up%20at%20the%20book%20fair"),
        format!("email\n{email}\n"),
    )
    .await;
    assert_eq!(summary["imported"], 1, "{summary}");

    let data: Value = app
        .admin_get(&format!("/api/admin/subscribers/{email}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["subscriptions"][0]["status"], "confirmed");
    assert!(data["subscriptions"][0]["confirmed_at"].is_string());
    let consent = data["consent"].as_array().unwrap();
    assert_eq!(consent.len(), 1, "{data}");
    assert_eq!(consent[0]["action"], "confirmed");
    assert_eq!(consent[0]["form"], "import");
    assert_eq!(consent[0]["note"], "Signed up at the book fair");
    assert!(app.store.message_counts().await.unwrap().is_empty());
}
