//! The preference page: GET changes nothing; POST sets exactly the ticked
//! newsletters with consent rows; unsubscribe from all and undo; bad
//! tokens; "email me my link".

use std::time::Duration;

use super::*;
use crate::helpers::{admin, emails_to, unique_email, wait_for_emails};

#[tokio::test]
async fn the_digest_link_opens_a_page_get_never_changes_and_post_sets_exactly_the_ticks() {
    let app = crate::helpers::spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    app.add_newsletter("weekly", "Weekly review").await;
    let reader = unique_email();
    let token = manage_token_from_digest(&app, &reader).await;

    let before = address_data(&app, &reader).await;
    for _ in 0..2 {
        let r = manage_page(&app, &token).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains(&reader), "{html}");
        assert!(html.contains("value=\"daily\" checked"), "{html}");
        assert!(html.contains("value=\"weekly\">"), "{html}");
        assert!(html.contains("Weekly review") && html.contains("name=\"token\""));
    }
    let head = app
        .client
        .head(app.url(&format!("/subscriptions/manage?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        address_data(&app, &reader).await,
        before,
        "GET and HEAD change nothing"
    );

    // Leave daily, join weekly (confirmed at once: the link proves the mailbox).
    let r = manage_post(
        &app,
        &[("token", &token), ("newsletter", "weekly"), ("name", "Ada")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Your choices are saved") && html.contains("Weekly review"),
        "{html}"
    );
    let after = address_data(&app, &reader).await;
    assert_eq!(status_in(&after, "daily"), "unsubscribed");
    assert_eq!(status_in(&after, "weekly"), "confirmed");
    assert_eq!(after["name"], "Ada");
    let preferences: Vec<&Value> = after["consent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["form"]
                .as_str()
                .is_some_and(|f| f.starts_with("preferences"))
        })
        .collect();
    let actions: Vec<(&str, &str)> = preferences
        .iter()
        .map(|c| {
            (
                c["newsletter"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(actions.contains(&("daily", "unsubscribed")), "{actions:?}");
    assert!(actions.contains(&("weekly", "confirmed")), "{actions:?}");
    assert_eq!(actions.len(), 2, "{actions:?}");

    // An unknown or archived newsletter: 422 and nothing changes.
    app.add_newsletter("old", "Old").await;
    admin(
        &app,
        reqwest::Method::DELETE,
        "/api/admin/newsletters/old",
        None,
    )
    .await;
    for bad in ["nope", "old"] {
        let r = manage_post(&app, &[("token", &token), ("newsletter", bad)]).await;
        assert_eq!(r.status(), 422, "{bad}");
    }
    assert_eq!(
        status_in(&address_data(&app, &reader).await, "weekly"),
        "confirmed"
    );
}

#[tokio::test]
async fn unsubscribe_from_all_then_undo() {
    let app = crate::helpers::spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    app.add_newsletter("weekly", "Weekly review").await;
    let reader = unique_email();
    let token = manage_token_from_digest(&app, &reader).await;
    crate::helpers::add_confirmed(&app, "weekly", &reader).await;

    let r = manage_post(&app, &[("token", &token), ("all", "unsubscribe")]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("unsubscribed from everything"), "{html}");
    let data = address_data(&app, &reader).await;
    assert_eq!(status_in(&data, "daily"), "unsubscribed");
    assert_eq!(status_in(&data, "weekly"), "unsubscribed");
    // The undo form posts the token and what was subscribed.
    assert!(
        html.contains("value=\"daily\"") && html.contains("value=\"weekly\""),
        "{html}"
    );
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
    let data = address_data(&app, &reader).await;
    assert_eq!(status_in(&data, "daily"), "confirmed");
    assert_eq!(status_in(&data, "weekly"), "confirmed");
}

#[tokio::test]
async fn bad_tokens_get_404_with_a_way_to_a_new_link() {
    let app = crate::helpers::spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let reader = unique_email();
    let token = manage_token_from_digest(&app, &reader).await;
    let (id, _) = token.split_once('-').unwrap();
    let other = format!(
        "{}-{}",
        id.parse::<i64>().unwrap() + 1,
        &token[id.len() + 1..]
    );
    let unsubscribe_token = {
        let mails = emails_to(&reader).await;
        link_token(mails[0]["text"].as_str().unwrap(), "unsubscribe")
    };
    for bad in [
        "garbage",
        "1-00",
        other.as_str(),
        unsubscribe_token.as_str(),
    ] {
        let r = manage_page(&app, bad).await;
        assert_eq!(r.status(), 404, "{bad}");
        let html = r.text().await.unwrap();
        assert!(html.contains("Email me my link"), "{html}");
        let r = manage_post(&app, &[("token", bad), ("all", "unsubscribe")]).await;
        assert_eq!(r.status(), 404, "{bad}");
    }
    assert_eq!(
        status_in(&address_data(&app, &reader).await, "daily"),
        "confirmed"
    );
    // Erased: the token leads nowhere.
    let r = admin(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/admin/subscribers/{reader}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_eq!(manage_page(&app, &token).await.status(), 404);
}

#[tokio::test]
async fn email_me_my_link_answers_alike_and_mails_known_addresses_once_per_cooldown() {
    let app = crate::helpers::spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let known = unique_email();
    crate::helpers::add_confirmed(&app, "daily", &known).await;
    let unknown = unique_email();

    let r = app
        .client
        .get(app.url("/subscriptions/manage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("name=\"email\""));
    let mut answers = Vec::new();
    for email in [&known, &unknown, &known] {
        let r = manage_post(&app, &[("email", email)]).await;
        assert_eq!(r.status(), 200);
        answers.push(r.text().await.unwrap());
    }
    assert!(
        answers.iter().all(|a| *a == answers[0]),
        "the same answer for all"
    );
    let mails = wait_for_emails(&known, 1).await;
    let token = link_token(mails[0]["text"].as_str().unwrap(), "manage");
    assert_eq!(manage_page(&app, &token).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(emails_to(&known).await.len(), 1, "one per cooldown");
    assert!(emails_to(&unknown).await.is_empty());
    let r = manage_post(&app, &[("email", "not an address")]).await;
    assert_eq!(r.status(), 422);
}
