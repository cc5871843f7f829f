//! Newsletters read, updated and archived; a newsletter with its own sender.

use serde_json::{json, Value};

use crate::helpers::{admin, spawn_app, unique_email, wait_for_emails};

use super::*;

#[tokio::test]
async fn newsletter_read_update_archive() {
    use reqwest::Method;
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    for m in [Method::GET, Method::PATCH, Method::DELETE] {
        unauthorised(&app, m, "/api/admin/newsletters/daily").await;
    }

    let r = admin(&app, Method::GET, "/api/admin/newsletters/daily", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["name"], "Daily");
    assert_eq!(
        admin(&app, Method::GET, "/api/admin/newsletters/nope", None)
            .await
            .status(),
        404
    );

    let r = admin(
        &app,
        Method::PATCH,
        "/api/admin/newsletters/daily",
        Some(json!({"name": "Daily briefing", "description": "Every morning"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let n: Value = r.json().await.unwrap();
    assert_eq!(
        (n["name"].as_str(), n["description"].as_str()),
        (Some("Daily briefing"), Some("Every morning"))
    );
    let page = app
        .client
        .get(app.url("/newsletters/daily"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Daily briefing") && page.contains("Every morning"));

    for (body, code) in [
        (json!({"name": ""}), 422),
        (json!({"name": "a\u{7}b"}), 422),
        (json!({"from_address": "not an address"}), 422),
        (json!({"from_name": "Desk"}), 422),
        (json!({"slug": "other"}), 422),
        (json!({"name": 5}), 400),
    ] {
        let r = admin(
            &app,
            Method::PATCH,
            "/api/admin/newsletters/daily",
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status(), code, "{body}");
    }
    let r = app
        .client
        .patch(app.url("/api/admin/newsletters/daily"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(
        admin(
            &app,
            Method::PATCH,
            "/api/admin/newsletters/nope",
            Some(json!({"name": "X"}))
        )
        .await
        .status(),
        404
    );

    // Archive: gone from lists, pages and signups; the slug stays taken.
    assert_eq!(
        admin(&app, Method::DELETE, "/api/admin/newsletters/daily", None)
            .await
            .status(),
        204
    );
    assert_eq!(
        admin(&app, Method::DELETE, "/api/admin/newsletters/daily", None)
            .await
            .status(),
        404
    );
    assert_eq!(
        admin(&app, Method::GET, "/api/admin/newsletters/daily", None)
            .await
            .status(),
        404
    );
    let list: Value = admin(&app, Method::GET, "/api/admin/newsletters", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["newsletters"], json!([]));
    assert_eq!(
        app.client
            .get(app.url("/newsletters/daily"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = app.signup(&unique_email(), &["daily"]).await;
    assert_eq!(r.status(), 422);
    let r = admin(
        &app,
        Method::POST,
        "/api/admin/newsletters",
        Some(json!({"slug": "daily", "name": "Again"})),
    )
    .await;
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn a_newsletter_with_its_own_sender_sends_from_it() {
    let app = spawn_app().await;
    let r = admin(
        &app,
        reqwest::Method::POST,
        "/api/admin/newsletters",
        Some(
            json!({"slug": "sports", "name": "Sports desk", "from_name": "The Sports Desk",
                    "from_address": "sports@herald.test", "reply_to": "editor@herald.test"}),
        ),
    )
    .await;
    assert_eq!(r.status(), 201);
    let email = unique_email();
    app.signup(&email, &["sports"]).await;
    let mail = &wait_for_emails(&email, 1).await[0];
    assert_eq!(mail["from"][0]["address"], "sports@herald.test");
    assert_eq!(mail["from"][0]["name"], "The Sports Desk");
    assert!(mail["headers"]["reply-to"]
        .as_str()
        .unwrap()
        .contains("editor@herald.test"));

    // Clearing the sender falls back to HERALD_FROM.
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        "/api/admin/newsletters/sports",
        Some(json!({"from_name": null, "from_address": null})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let other = unique_email();
    app.signup(&other, &["sports"]).await;
    let mail = &wait_for_emails(&other, 1).await[0];
    assert_eq!(mail["from"][0]["address"], "news@herald.test");
}
