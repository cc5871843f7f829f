//! Managing newsletters and one address through the admin API: update,
//! archive, add by hand, change status, see everything, erase; the purge.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{
    admin, confirm, confirm_token_for, emails_to, spawn_app, spawn_app_with, unique_email,
    wait_for_emails, TestApp,
};

async fn unauthorised(app: &TestApp, method: reqwest::Method, path: &str) {
    for token in [None, Some("wrong")] {
        let mut r = app
            .client
            .request(method.clone(), app.url(path))
            .json(&json!({}));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized");
    }
}

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

#[tokio::test]
async fn adding_and_changing_subscribers_by_hand() {
    use reqwest::Method;
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    unauthorised(
        &app,
        Method::POST,
        "/api/admin/newsletters/daily/subscribers",
    )
    .await;
    let path = "/api/admin/newsletters/daily/subscribers";

    // Pending: a confirmation goes out.
    let pending = unique_email();
    let r = admin(&app, Method::POST, path, Some(json!({"email": pending}))).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "pending");
    confirm_token_for(&pending).await;

    // Confirmed needs a consent note.
    let confirmed = unique_email();
    let r = admin(
        &app,
        Method::POST,
        path,
        Some(json!({"email": confirmed, "status": "confirmed"})),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "consent_required"
    );
    assert_eq!(app.status_of("daily", &confirmed).await, None);
    let r = admin(&app, Method::POST, path, Some(json!({"email": confirmed, "name": "Ada", "status": "confirmed", "consent": "signed up at the 2026 fair"}))).await;
    assert_eq!(r.status(), 201);
    let row: Value = r.json().await.unwrap();
    assert_eq!(
        (row["status"].as_str(), row["name"].as_str()),
        (Some("confirmed"), Some("Ada"))
    );
    assert!(row["confirmed_at"].is_string());
    // Adding again changes nothing and says so with 200.
    let r = admin(&app, Method::POST, path, Some(json!({"email": confirmed}))).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "confirmed");

    for (body, code) in [
        (json!({"email": "nope"}), 422),
        (
            json!({"email": unique_email(), "status": "unsubscribed"}),
            422,
        ),
        (json!({"email": unique_email(), "status": "weird"}), 422),
        (json!({"name": "x"}), 400),
    ] {
        assert_eq!(
            admin(&app, Method::POST, path, Some(body.clone()))
                .await
                .status(),
            code,
            "{body}"
        );
    }
    assert_eq!(
        admin(
            &app,
            Method::POST,
            "/api/admin/newsletters/nope/subscribers",
            Some(json!({"email": unique_email()}))
        )
        .await
        .status(),
        404
    );

    // Change status.
    let one = format!("{path}/{confirmed}");
    assert_eq!(admin(&app, Method::GET, &one, None).await.status(), 200);
    let r = admin(
        &app,
        Method::PATCH,
        &one,
        Some(json!({"status": "unsubscribed"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "unsubscribed");
    assert_eq!(
        admin(
            &app,
            Method::PATCH,
            &one,
            Some(json!({"status": "confirmed"}))
        )
        .await
        .status(),
        422
    );
    assert_eq!(
        admin(
            &app,
            Method::PATCH,
            &one,
            Some(json!({"status": "pending"}))
        )
        .await
        .status(),
        422
    );
    let r = admin(
        &app,
        Method::PATCH,
        &one,
        Some(json!({"status": "confirmed", "consent": "asked us by phone"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &confirmed).await.as_deref(),
        Some("confirmed")
    );
    let stranger = format!("{path}/{}", unique_email());
    assert_eq!(
        admin(
            &app,
            Method::PATCH,
            &stranger,
            Some(json!({"status": "unsubscribed"}))
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        admin(&app, Method::GET, &stranger, None).await.status(),
        404
    );

    // Everything held on the address, with the consent notes.
    let r = admin(
        &app,
        Method::GET,
        &format!("/api/admin/subscribers/{confirmed}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    let data: Value = r.json().await.unwrap();
    assert_eq!(data["email"], confirmed.as_str());
    assert_eq!(data["subscriptions"][0]["newsletter"], "daily");
    let notes: Vec<_> = data["consent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["action"].clone(), c["note"].clone()))
        .collect();
    assert_eq!(
        notes,
        vec![
            (json!("confirmed"), json!("signed up at the 2026 fair")),
            (json!("unsubscribed"), Value::Null),
            (json!("confirmed"), json!("asked us by phone")),
        ]
    );
    let data: Value = admin(
        &app,
        Method::GET,
        &format!("/api/admin/subscribers/{pending}"),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(data["deliveries"][0]["kind"], "confirm");
    assert_eq!(
        admin(
            &app,
            Method::GET,
            &format!("/api/admin/subscribers/{}", unique_email()),
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        admin(&app, Method::GET, "/api/admin/subscribers/garbage", None)
            .await
            .status(),
        422
    );
    unauthorised(
        &app,
        Method::GET,
        &format!("/api/admin/subscribers/{pending}"),
    )
    .await;
}

/// Every text value in every table, to prove an address is gone.
async fn text_values(app: &TestApp) -> Vec<String> {
    use herald::store::Store;
    let mut out = Vec::new();
    match &app.store {
        Store::Sqlite(p) => {
            let cols: Vec<(String, String)> = sqlx::query_as(
                "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND c.type = 'TEXT'",
            )
            .fetch_all(p)
            .await
            .unwrap();
            assert!(cols.len() > 20, "{cols:?}");
            for (t, c) in cols {
                let sql =
                    format!("SELECT CAST(\"{c}\" AS TEXT) FROM \"{t}\" WHERE \"{c}\" IS NOT NULL");
                out.extend(
                    sqlx::query_scalar::<_, String>(&sql)
                        .fetch_all(p)
                        .await
                        .unwrap(),
                );
            }
        }
        Store::Postgres(p) => {
            let cols: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND data_type IN ('text', 'character varying')",
            )
            .fetch_all(p)
            .await
            .unwrap();
            assert!(cols.len() > 20, "{cols:?}");
            for (t, c) in cols {
                let sql = format!("SELECT \"{c}\"::text FROM \"{t}\" WHERE \"{c}\" IS NOT NULL");
                out.extend(
                    sqlx::query_scalar::<_, String>(&sql)
                        .fetch_all(p)
                        .await
                        .unwrap(),
                );
            }
        }
    }
    out
}

#[tokio::test]
async fn erasing_an_address_leaves_only_a_hash() {
    use reqwest::Method;
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    let email = unique_email();
    let local = email.split('@').next().unwrap().to_string();
    let r = app
        .post_json(
            "/subscriptions",
            &json!({"email": email, "name": "Erin Erasable", "newsletters": ["daily", "weekly"]}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let token = confirm_token_for(&email).await;
    confirm(&app, &token).await;
    app.wait_queue_drained().await;
    let before = text_values(&app).await;
    assert!(before.iter().any(|v| v.contains(&local)));
    assert!(before.iter().any(|v| v.contains("Erin Erasable")));

    unauthorised(
        &app,
        Method::DELETE,
        &format!("/api/admin/subscribers/{email}"),
    )
    .await;
    assert_eq!(
        admin(
            &app,
            Method::DELETE,
            &format!("/api/admin/subscribers/{email}"),
            None
        )
        .await
        .status(),
        204
    );
    let after = text_values(&app).await;
    assert!(
        !after.iter().any(|v| v.to_lowercase().contains(&local)),
        "the address survives somewhere"
    );
    assert!(!after.iter().any(|v| v.contains("Erin Erasable")));
    assert_eq!(
        admin(
            &app,
            Method::GET,
            &format!("/api/admin/subscribers/{email}"),
            None
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        admin(
            &app,
            Method::DELETE,
            &format!("/api/admin/subscribers/{email}"),
            None
        )
        .await
        .status(),
        404
    );

    // An import skips it...
    let csv = format!("email,name\n{email},Erin\n{},New\n", unique_email());
    let r = app
        .client
        .post(app.url("/api/admin/newsletters/daily/subscribers/import?confirmed=true&consent=list%20transfer"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(
        (report["imported"].as_i64(), report["skipped"].as_i64()),
        (Some(1), Some(1)),
        "{report}"
    );
    assert_eq!(app.status_of("daily", &email).await, None);

    // ...while the person can still sign up again, with double opt-in.
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );
    let mails = wait_for_emails(&email, 2).await;
    let token =
        crate::helpers::link_token(mails.last().unwrap()["text"].as_str().unwrap(), "confirm");
    assert_eq!(confirm(&app, &token).await.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );
}

#[tokio::test]
async fn stale_pending_signups_are_purged() {
    let app = spawn_app_with(&[
        ("confirm_ttl", "0s"),
        ("purge_after", "0s"),
        ("purge_interval", "100ms"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    // Confirmed by hand: must survive the purge.
    let keep = unique_email();
    let r = admin(
        &app,
        reqwest::Method::POST,
        "/api/admin/newsletters/daily/subscribers",
        Some(json!({"email": keep, "status": "confirmed", "consent": "paper form"})),
    )
    .await;
    assert_eq!(r.status(), 201);
    let stale = unique_email();
    app.signup(&stale, &["daily"]).await;
    wait_for_emails(&stale, 1).await;

    // The subscription goes, then the subscriber with nothing left (once its
    // confirmation is no longer in flight).
    let deadline = Instant::now() + Duration::from_secs(20);
    let address = format!("/api/admin/subscribers/{stale}");
    while app.status_of("daily", &stale).await.is_some()
        || admin(&app, reqwest::Method::GET, &address, None)
            .await
            .status()
            != 404
    {
        assert!(
            Instant::now() < deadline,
            "the stale signup was never purged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        app.status_of("daily", &keep).await.as_deref(),
        Some("confirmed")
    );
    assert_eq!(emails_to(&stale).await.len(), 1);
}
