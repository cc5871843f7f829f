//! The database goes away (PostgreSQL refusing connections, its backends
//! terminated): every route answers 503 with `Retry-After`, not 500, and
//! Herald recovers by itself when the database is back.

use std::time::{Duration, Instant};

use herald::store::Store;

use crate::helpers::{spawn_app, unique_email};

#[tokio::test]
async fn a_database_outage_is_503_with_retry_after_and_passes() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        return; // Needs a PostgreSQL whose connections the test can refuse.
    };
    if admin_url.is_empty() {
        return;
    }
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let name = url::Url::parse(&app.db.url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    let admin = Store::connect(&admin_url).await.unwrap();
    let Store::Postgres(pg) = &admin else {
        unreachable!()
    };
    let set = |allow: bool| format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}");
    sqlx::query(sqlx::AssertSqlSafe(set(false)))
        .execute(pg)
        .await
        .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(&name)
    .execute(pg)
    .await
    .unwrap();

    let r = app.signup(&unique_email(), &["daily"]).await;
    assert_eq!(r.status(), 503, "{}", r.text().await.unwrap());
    let r = app.signup(&unique_email(), &["daily"]).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "unavailable"
    );
    for path in ["/", "/newsletters/daily", "/health"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 503, "{path}");
    }
    let r = app.admin_get("/api/admin/newsletters").await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));

    // Back: Herald recovers without a restart.
    sqlx::query(sqlx::AssertSqlSafe(set(true)))
        .execute(pg)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let reader = unique_email();
    loop {
        let r = app.signup(&reader, &["daily"]).await;
        if r.status() == 202 {
            break;
        }
        assert_eq!(r.status(), 503);
        assert!(Instant::now() < deadline, "no recovery");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.admin_get("/api/admin/newsletters").await.status(), 200);
    admin.close().await;
}
