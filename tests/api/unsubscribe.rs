//! Unsubscribing: a page on GET, a change only on POST (also RFC 8058 one-click).

use crate::helpers::{confirm, confirm_token_for, link_token, spawn_app, unique_email, TestApp};

/// Signs `email` up to "daily", confirms, and returns the unsubscribe token
/// shown on the confirmation page.
async fn confirmed_reader(app: &TestApp, email: &str) -> String {
    app.signup(email, &["daily"]).await;
    let token = confirm_token_for(email).await;
    let r = confirm(app, &token).await;
    assert_eq!(r.status(), 200);
    let page = r
        .text()
        .await
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    assert!(page.contains(&format!("{}/subscriptions/unsubscribe?token=", app.address)));
    link_token(&page, "unsubscribe")
}

#[tokio::test]
async fn get_and_head_show_a_page_and_change_nothing() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let email = unique_email();
    let token = confirmed_reader(&app, &email).await;
    let url = app.url(&format!("/subscriptions/unsubscribe?token={token}"));
    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Daily briefing") && html.contains("method=\"post\""));
    assert_eq!(app.client.head(&url).send().await.unwrap().status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );
}

#[tokio::test]
async fn one_click_post_unsubscribes_idempotently_without_redirect() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let email = unique_email();
    let token = confirmed_reader(&app, &email).await;
    let path = format!("/subscriptions/unsubscribe?token={token}");
    for _ in 0..2 {
        let r = app.post_form(&path, "List-Unsubscribe=One-Click").await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("unsubscribed"));
        assert_eq!(
            app.status_of("daily", &email).await.as_deref(),
            Some("unsubscribed")
        );
    }
}

#[tokio::test]
async fn one_click_as_multipart_and_the_page_form_both_work() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;

    let email = unique_email();
    let token = confirmed_reader(&app, &email).await;
    let body = "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n";
    let r = app
        .client
        .post(app.url(&format!("/subscriptions/unsubscribe?token={token}")))
        .header("Content-Type", "multipart/form-data; boundary=XyZ")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("unsubscribed")
    );

    // The button on the GET page posts the token in the form body.
    let email = unique_email();
    let token = confirmed_reader(&app, &email).await;
    let r = app
        .post_form("/subscriptions/unsubscribe", &format!("token={token}"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("unsubscribed")
    );
}

#[tokio::test]
async fn forged_and_unknown_tokens_are_404() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let token = confirmed_reader(&app, &email).await;
    let (id, mac) = token.split_once('-').unwrap();
    let forged = format!("{}-{mac}", id.parse::<i64>().unwrap() + 1);
    for t in [forged.as_str(), "garbage", "1-00"] {
        let r = app
            .post_form(
                &format!("/subscriptions/unsubscribe?token={t}"),
                "List-Unsubscribe=One-Click",
            )
            .await;
        assert_eq!(r.status(), 404, "{t}");
        let r = app
            .client
            .get(app.url(&format!("/subscriptions/unsubscribe?token={t}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{t}");
    }
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );
}
