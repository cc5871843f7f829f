//! Migrations that rebuild a table must keep every row, and the rows that
//! point at them: a database migrated with data in it, checked after.

use std::borrow::Cow;

use sqlx::migrate::Migrator;

use super::{Store, SQLITE_MIGRATIONS};

/// The SQLite migrations before `version`.
fn sqlite_before(version: i64) -> Migrator {
    Migrator {
        migrations: Cow::Owned(
            SQLITE_MIGRATIONS
                .migrations
                .iter()
                .filter(|m| m.version < version)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    }
}

#[tokio::test]
async fn rebuilding_subscriptions_keeps_them_and_the_mail_that_points_at_them() {
    let dir = std::env::temp_dir().join(format!(
        "herald-upgrade-{}",
        crate::domain::token::generate()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("old.db").display());
    let store = Store::connect(&url).await.unwrap();
    let Store::Sqlite(pool) = &store else {
        unreachable!()
    };
    sqlite_before(15).run(pool).await.unwrap();
    for sql in [
        "INSERT INTO newsletters (slug, name, created_at) VALUES ('a', 'A', '2026-01-01T00:00:00Z')",
        "INSERT INTO subscribers (email, created_at) VALUES ('r@news.example', '2026-01-01T00:00:00Z')",
        "INSERT INTO subscriptions (subscriber_id, newsletter_id, status, created_at, updated_at) \
         VALUES (1, 1, 'confirmed', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        "INSERT INTO messages (kind, subscriber_id, recipient, message_id, subject, status, \
         next_attempt_at, created_at, subscription_id) VALUES ('digest', 1, 'r@news.example', \
         '<m1@herald>', 'S', 'queued', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1)",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    store.migrate().await.unwrap();

    let kept: (i64, String, i64) = sqlx::query_as(
        "SELECT s.id, s.status, (SELECT COUNT(*) FROM messages m WHERE m.subscription_id = s.id) \
         FROM subscriptions s",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(kept, (1, "confirmed".to_string(), 1));
    let broken: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap();
    assert!(broken.is_empty());
    // Foreign keys are on again, and the new statuses are allowed.
    let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(on, 1);
    sqlx::query("UPDATE subscriptions SET status = 'bounced'")
        .execute(pool)
        .await
        .unwrap();
    assert!(sqlx::query("UPDATE subscriptions SET status = 'lost'")
        .execute(pool)
        .await
        .is_err());
    // Deleting the subscription still takes its mail with it.
    sqlx::query("DELETE FROM subscriptions")
        .execute(pool)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
