//! The welcome email: set on the newsletter, sent once per subscription
//! that becomes confirmed (also with the confirm link posted twice at
//! once), never on a re-confirm, with the list headers and the manage link,
//! and Markdown that comes out inert.

use std::time::Duration;

use super::*;
use crate::helpers::{admin, confirm, confirm_token_for, emails_to, unique_email, wait_for_emails};

async fn welcomes_to(address: &str) -> Vec<Value> {
    emails_to(address)
        .await
        .into_iter()
        .filter(|m| m["subject"] == "Welcome to Daily")
        .collect()
}

#[tokio::test]
async fn a_welcome_goes_out_once_when_a_subscription_is_confirmed() {
    let app = crate::helpers::spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        "/api/admin/newsletters/daily",
        Some(set_welcome()),
    )
    .await;
    assert_eq!(r.status(), 200);
    let n: Value = r.json().await.unwrap();
    assert_eq!(n["welcome_subject"], "Welcome to Daily");

    let reader = unique_email();
    assert_eq!(app.signup(&reader, &["daily"]).await.status(), 202);
    let token = confirm_token_for(&reader).await;
    // The confirm link posted twice at once: one welcome.
    let (a, b) = tokio::join!(confirm(&app, &token), confirm(&app, &token));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let mails = wait_for_emails(&reader, 2).await;
    let welcome = mails
        .iter()
        .find(|m| m["subject"] == "Welcome to Daily")
        .expect("a welcome");
    let headers = &welcome["headers"];
    assert!(
        headers["list-unsubscribe"]
            .as_str()
            .unwrap()
            .contains("/subscriptions/unsubscribe?token="),
        "{headers}"
    );
    assert_eq!(
        headers["list-unsubscribe-post"],
        "List-Unsubscribe=One-Click"
    );
    assert!(
        headers["list-id"].as_str().unwrap().contains("<daily."),
        "{headers}"
    );
    let (text, html) = (
        welcome["text"].as_str().unwrap(),
        welcome["html"].as_str().unwrap(),
    );
    assert!(
        text.contains("/subscriptions/manage?token=")
            && html.contains("/subscriptions/manage?token=")
    );
    assert!(html.contains("<strong>Daily</strong>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;"), "{html}");
    // The manage link works.
    let manage = link_token(text, "manage");
    assert_eq!(manage_page(&app, &manage).await.status(), 200);

    // Re-confirming, and signing up again while confirmed: no second welcome.
    assert_eq!(confirm(&app, &token).await.status(), 200);
    assert_eq!(app.signup(&reader, &["daily"]).await.status(), 202);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(welcomes_to(&reader).await.len(), 1);
}

#[tokio::test]
async fn ticking_a_newsletter_on_the_preference_page_welcomes_once() {
    let app = crate::helpers::spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        "/api/admin/newsletters/weekly",
        Some(json!({
            "welcome_subject": "Welcome to Daily", "welcome_body": "Hi"
        })),
    )
    .await;
    assert_eq!(r.status(), 200);
    let reader = unique_email();
    let token = manage_token_from_digest(&app, &reader).await;
    for _ in 0..2 {
        let r = manage_post(
            &app,
            &[
                ("token", &token),
                ("newsletter", "daily"),
                ("newsletter", "weekly"),
            ],
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    wait_for_emails(&reader, 2).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(welcomes_to(&reader).await.len(), 1);
}

#[tokio::test]
async fn welcome_fields_are_checked_and_previewed_inert() {
    let app = crate::helpers::spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    for (body, code) in [
        (json!({ "welcome_subject": "Hi" }), "invalid_welcome"),
        (
            json!({ "welcome_subject": "a\u{7}", "welcome_body": "x" }),
            "invalid_welcome_subject",
        ),
        (
            json!({ "welcome_subject": "Hi", "welcome_body": "  " }),
            "invalid_welcome_body",
        ),
    ] {
        let r = admin(
            &app,
            reqwest::Method::PATCH,
            "/api/admin/newsletters/daily",
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status(), 422, "{body}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], code, "{body}");
    }
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        "/api/admin/newsletters/daily",
        Some(set_welcome()),
    )
    .await;
    assert_eq!(r.status(), 200);
}
