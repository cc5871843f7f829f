//! The confirmation email and its link: confirming, GET and HEAD, unknown
//! and expired tokens, choosing newsletters, and what the email may carry.

use std::collections::HashSet;

use serde_json::{json, Value};

use crate::helpers::{
    confirm, confirm_token_for, emails_to, link_token, spawn_app, spawn_app_with, unique_email,
    wait_for_emails,
};

#[tokio::test]
async fn signup_sends_one_multipart_confirmation_and_post_confirms() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let email = unique_email();

    let r = app.signup(&email, &["daily"]).await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"status": "pending"})
    );
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );

    let mail = &wait_for_emails(&email, 1).await[0];
    let text = mail["text"].as_str().unwrap();
    let html = mail["html"].as_str().expect("an HTML part");
    assert!(mail["subject"].as_str().unwrap().contains("Daily briefing"));
    assert!(text.contains("Daily briefing") && html.contains("Daily briefing"));
    assert_eq!(mail["from"][0]["address"], "news@herald.test");
    assert!(mail["headers"]["message-id"]
        .as_str()
        .unwrap()
        .starts_with('<'));
    assert!(mail["headers"]["content-type"]
        .as_str()
        .unwrap()
        .starts_with("multipart/alternative"));
    let link_prefix = format!("{}/subscriptions/confirm?token=", app.address);
    assert!(text.contains(&link_prefix), "absolute link in {text}");
    let token = link_token(text, "confirm");
    assert!(token.len() >= 32);

    // The token is stored only hashed.
    let stored: Vec<String> = match &app.store {
        herald::store::Store::Sqlite(p) => sqlx::query_scalar("SELECT token_hash FROM tokens")
            .fetch_all(p)
            .await
            .unwrap(),
        herald::store::Store::Postgres(p) => sqlx::query_scalar("SELECT token_hash FROM tokens")
            .fetch_all(p)
            .await
            .unwrap(),
    };
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);

    let r = confirm(&app, &token).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Subscription confirmed"));
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );

    // Idempotent.
    let r = confirm(&app, &token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );
    app.wait_queue_drained().await;
    assert_eq!(emails_to(&email).await.len(), 1);
}

#[tokio::test]
async fn get_and_head_on_the_confirm_link_change_nothing() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let email = unique_email();
    app.signup(&email, &["daily"]).await;
    let token = confirm_token_for(&email).await;
    let url = app.url(&format!("/subscriptions/confirm?token={token}"));

    for _ in 0..2 {
        let r = app.client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("method=\"post\""), "a button that POSTs");
        assert!(html.contains("Daily briefing") && html.contains("checked"));
        let r = app.client.head(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );

    // The token from the query string works for the POST, too.
    let r = app.client.post(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );
}

#[tokio::test]
async fn unknown_tokens_are_404() {
    let app = spawn_app().await;
    let r = confirm(&app, "0123456789abcdef0123456789abcdef").await;
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .get(app.url("/subscriptions/confirm?token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn an_expired_link_is_410_and_says_to_sign_up_again() {
    let app = spawn_app_with(&[("confirm_ttl", "0s")]).await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    app.signup(&email, &["daily"]).await;
    let token = confirm_token_for(&email).await;

    let r = confirm(&app, &token).await;
    assert_eq!(r.status(), 410);
    assert!(r
        .text()
        .await
        .unwrap()
        .to_lowercase()
        .contains("sign up again"));
    let r = app
        .client
        .get(app.url(&format!("/subscriptions/confirm?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn one_email_for_several_newsletters_and_choosing_which_to_confirm() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    app.add_newsletter("weekly", "Weekly review").await;
    app.add_newsletter("sports", "Sports desk").await;
    let email = unique_email();

    // A form may repeat the newsletter field.
    let body = format!(
        "email={}&newsletter=daily&newsletter=weekly&newsletter=sports",
        email.replace('@', "%40")
    );
    assert_eq!(app.post_form("/subscriptions", &body).await.status(), 303);
    app.wait_queue_drained().await;
    let mails = emails_to(&email).await;
    assert_eq!(mails.len(), 1);
    let text = mails[0]["text"].as_str().unwrap();
    for name in ["Daily briefing", "Weekly review", "Sports desk"] {
        assert!(text.contains(name), "{name} in {text}");
    }

    let token = link_token(text, "confirm");
    let page = app
        .client
        .get(app.url(&format!("/subscriptions/confirm?token={token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("type=\"checkbox\"").count(), 3);

    // The page's form: untick "weekly".
    let r = app
        .post_form(
            "/subscriptions/confirm",
            &format!("token={token}&selected=1&newsletter=daily&newsletter=sports"),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );
    assert_eq!(
        app.status_of("sports", &email).await.as_deref(),
        Some("confirmed")
    );
    assert_eq!(
        app.status_of("weekly", &email).await.as_deref(),
        Some("pending")
    );

    // A bare POST with the token confirms what is left.
    assert_eq!(confirm(&app, &token).await.status(), 200);
    assert_eq!(
        app.status_of("weekly", &email).await.as_deref(),
        Some("confirmed")
    );
}

#[tokio::test]
async fn a_later_signup_within_the_cooldown_is_confirmed_by_the_first_link() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    let email = unique_email();
    app.signup(&email, &["daily"]).await;
    app.signup(&email, &["weekly"]).await;
    app.wait_queue_drained().await;
    let mails = emails_to(&email).await;
    assert_eq!(mails.len(), 1);
    let token = link_token(mails[0]["text"].as_str().unwrap(), "confirm");
    assert_eq!(confirm(&app, &token).await.status(), 200);
    let statuses: HashSet<_> = [
        app.status_of("daily", &email).await,
        app.status_of("weekly", &email).await,
    ]
    .into_iter()
    .collect();
    assert_eq!(statuses, HashSet::from([Some("confirmed".to_string())]));
}

#[tokio::test]
async fn the_confirmation_email_carries_no_text_the_requester_typed() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let spam = "Buy cheap pills at spam dot example";
    let r = app
        .post_json(
            "/subscriptions",
            &json!({"email": email, "name": spam, "newsletter": "daily"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let mail = &wait_for_emails(&email, 1).await[0];
    let all = mail.to_string();
    assert!(!all.contains("pills"), "{all}");
    assert_eq!(mail["to"][0]["name"], "");
}

/// A confirmation link works once: after it confirmed, the same link
/// confirms nothing more, also not a later signup of the same address, and
/// its page no longer shows the address. The later signup gets a fresh
/// email at once, cooldown or not.
#[tokio::test]
async fn a_used_link_confirms_nothing_later() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let email = unique_email();
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    let token = confirm_token_for(&email).await;
    assert_eq!(confirm(&app, &token).await.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );

    // The reader leaves, then someone signs the address up again.
    let r = crate::helpers::set_status(&app, "daily", &email, "unsubscribed").await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );

    // The old link, found in the old email, confirms nothing.
    let r = confirm(&app, &token).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("already been used"), "{page}");
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );
    let r = reqwest::get(app.url(&format!("/subscriptions/confirm?token={token}")))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("already been used") && !page.contains(&email),
        "{page}"
    );
    assert!(!page.contains("<form"), "no button to press: {page}");

    // The new email's link still works.
    let mails = wait_for_emails(&email, 2).await;
    let texts: Vec<&str> = mails.iter().filter_map(|m| m["text"].as_str()).collect();
    let fresh = texts
        .iter()
        .map(|t| link_token(t, "confirm"))
        .find(|t| *t != token)
        .expect("a second confirmation email");
    assert_eq!(confirm(&app, &fresh).await.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );
}

/// Confirming through the newest email retires the links of the older
/// ones too: none of them confirms a later signup.
#[tokio::test]
async fn confirming_retires_the_older_emails_links_too() {
    let app = spawn_app_with(&[("resend_cooldown", "0s")]).await;
    app.add_newsletter("daily", "Daily briefing").await;
    let email = unique_email();
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    let mails = wait_for_emails(&email, 2).await;
    let tokens: Vec<String> = mails
        .iter()
        .map(|m| link_token(m["text"].as_str().unwrap(), "confirm"))
        .collect();
    assert_ne!(tokens[0], tokens[1]);
    // Either email's link confirms; then the other one is spent as well.
    let (used, other) = (&tokens[1], &tokens[0]);
    assert_eq!(confirm(&app, used).await.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );

    let r = crate::helpers::set_status(&app, "daily", &email, "unsubscribed").await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    let r = confirm(&app, other).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("already been used"));
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );
}
