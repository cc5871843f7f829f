//! Erasing an address leaves only a hash; stale pending signups are purged.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{
    admin, confirm, confirm_token_for, emails_to, spawn_app, spawn_app_with, unique_email,
    wait_for_emails, TestApp,
};

use super::*;

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
                    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
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
                    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
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

/// An erased address can't be brought back as confirmed by an admin (or the
/// console, which shares the use case): only the person's own double
/// opt-in brings it back.
#[tokio::test]
async fn an_admin_cannot_confirm_an_erased_address_back() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let add = |status: &'static str| {
        let body = json!({ "email": email, "status": status, "consent": "said yes on the phone" });
        let app = &app;
        async move {
            admin(
                app,
                reqwest::Method::POST,
                "/api/admin/newsletters/daily/subscribers",
                Some(body),
            )
            .await
        }
    };
    assert_eq!(add("confirmed").await.status(), 201);
    let r = admin(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/admin/subscribers/{email}"),
        None,
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());

    let r = add("confirmed").await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "erased");
    assert_eq!(
        app.status_of("daily", &email).await,
        None,
        "nothing was written"
    );

    // Their own signup and confirmation still work.
    assert_eq!(app.signup(&email, &["daily"]).await.status(), 202);
    let token = confirm_token_for(&email).await;
    assert_eq!(confirm(&app, &token).await.status(), 200);
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("confirmed")
    );
}

/// The stored form of an erased address is keyed per installation, not a
/// plain hash anyone could compute from a list of addresses; rows erased
/// by earlier releases, in the plain form, still hold.
#[tokio::test]
async fn erased_addresses_are_kept_under_an_installation_key() {
    use herald::store::Store;
    use sha2::{Digest, Sha256};
    let plain = |email: &str| hex::encode(Sha256::digest(format!("erased:{email}").as_bytes()));
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let (erased, legacy) = (unique_email(), unique_email());
    let add = |email: String| {
        let body = json!({ "email": email, "status": "confirmed", "consent": "paper form" });
        let app = &app;
        async move {
            admin(
                app,
                reqwest::Method::POST,
                "/api/admin/newsletters/daily/subscribers",
                Some(body),
            )
            .await
            .status()
        }
    };
    assert_eq!(add(erased.clone()).await, 201);
    let path = format!("/api/admin/subscribers/{erased}");
    assert!(admin(&app, reqwest::Method::DELETE, &path, None)
        .await
        .status()
        .is_success());

    // An erasure from before: the plain form, written as that release did.
    let now = chrono::Utc::now();
    let stored: Vec<String> = match &app.store {
        Store::Sqlite(p) => {
            sqlx::query("INSERT INTO erased (email_hash, erased_at) VALUES ($1, $2)")
                .bind(plain(&legacy))
                .bind(now)
                .execute(p)
                .await
                .unwrap();
            sqlx::query_scalar("SELECT email_hash FROM erased")
                .fetch_all(p)
                .await
                .unwrap()
        }
        Store::Postgres(p) => {
            sqlx::query("INSERT INTO erased (email_hash, erased_at) VALUES ($1, $2)")
                .bind(plain(&legacy))
                .bind(now)
                .execute(p)
                .await
                .unwrap();
            sqlx::query_scalar("SELECT email_hash FROM erased")
                .fetch_all(p)
                .await
                .unwrap()
        }
    };
    assert_eq!(stored.len(), 2);
    assert!(
        !stored.contains(&plain(&erased)),
        "a plain hash of {erased}: {stored:?}"
    );

    // Both stay out: an admin's confirmed add, and an import.
    assert_eq!(add(erased.clone()).await, 409);
    assert_eq!(add(legacy.clone()).await, 409);
    let r = app
        .client
        .post(
            app.url("/api/admin/newsletters/daily/subscribers/import?confirmed=true&consent=paper"),
        )
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/csv")
        .body(format!("email\n{erased}\n{legacy}\n"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let summary: Value = r.json().await.unwrap();
    assert_eq!(
        (summary["imported"].as_i64(), summary["skipped"].as_i64()),
        (Some(0), Some(2)),
        "{summary}"
    );
    assert_eq!(app.status_of("daily", &erased).await, None);
    assert_eq!(app.status_of("daily", &legacy).await, None);
}
