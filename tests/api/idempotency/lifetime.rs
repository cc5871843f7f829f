//! Where a key holds and for how long: per route and newsletter, a day, and
//! a claim whose owner is gone does not hold at all.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use herald::store::Store;

use super::{answer, case, case_in, count, new_key, post, Route, SLUG};
use crate::helpers::{spawn_app, spawn_app_with, TestApp};

/// Runs `sql` on the app's database with `$1` the instant `at` and `$2`
/// the key; answers how many rows it changed.
async fn exec(app: &TestApp, sql: &'static str, at: DateTime<Utc>, key: &[u8]) -> u64 {
    let key = std::str::from_utf8(key).unwrap();
    match &app.store {
        Store::Sqlite(p) => sqlx::query(sql)
            .bind(at)
            .bind(key)
            .execute(p)
            .await
            .map(|r| r.rows_affected()),
        Store::Postgres(p) => sqlx::query(sql)
            .bind(at)
            .bind(key)
            .execute(p)
            .await
            .map(|r| r.rows_affected()),
    }
    .unwrap()
}

async fn rows_with(app: &TestApp, key: &[u8]) -> i64 {
    let key = std::str::from_utf8(key).unwrap();
    let sql = "SELECT COUNT(*) FROM idempotency_keys WHERE key = $1";
    match &app.store {
        Store::Sqlite(p) => sqlx::query_scalar(sql).bind(key).fetch_one(p).await,
        Store::Postgres(p) => sqlx::query_scalar(sql).bind(key).fetch_one(p).await,
    }
    .unwrap()
}

fn hours_ago(h: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::hours(h)
}

#[tokio::test]
async fn one_key_is_new_on_every_route_and_in_every_newsletter() {
    let app = spawn_app().await;
    app.add_newsletter(SLUG, "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    let key = new_key();
    for route in Route::ALL {
        let c = case(route);
        let (status, body, replayed) = answer(post(&app, &c, Some(&key), &c.body).await).await;
        assert!(matches!(status, 200 | 201), "{route:?}: {body}");
        assert!(!replayed, "{route:?}");
    }
    // The same key and body in another newsletter is another request.
    for route in [Route::Subscribers, Route::Import] {
        let (c, key) = (case(route), new_key());
        let weekly = super::Case {
            path: c.path.replace(&format!("/{SLUG}/"), "/weekly/"),
            ..c.clone()
        };
        let before = count(&app, route, "weekly").await;
        for each in [&c, &weekly] {
            let (status, body, replayed) =
                answer(post(&app, each, Some(&key), &each.body).await).await;
            assert!(
                matches!(status, 200 | 201) && !replayed,
                "{route:?}: {body}"
            );
        }
        assert_eq!(count(&app, route, "weekly").await, before + route.creates());
    }
}

#[tokio::test]
async fn a_key_older_than_a_day_is_new_again() {
    let app = spawn_app().await;
    app.add_newsletter(SLUG, "Daily").await;
    for route in Route::ALL {
        let c = case(route);
        let key = new_key();
        let before = count(&app, route, SLUG).await;
        let first = answer(post(&app, &c, Some(&key), &c.body).await).await;
        assert!(matches!(first.0, 200 | 201), "{route:?}: {first:?}");
        let aged = "UPDATE idempotency_keys SET created_at = $1, claimed_at = $1 WHERE key = $2";
        assert_eq!(exec(&app, aged, hours_ago(25), &key).await, 1);
        // Another body would be refused within the day; now it is done.
        let (status, body, replayed) =
            answer(post(&app, &c, Some(&key), &c.other_body).await).await;
        assert!(
            matches!(status, 200 | 201) && !replayed,
            "{route:?}: {body}"
        );
        assert_eq!(
            count(&app, route, SLUG).await,
            before + 2 * route.creates(),
            "{route:?}"
        );
        // And the key holds for the new request from now on.
        let again = answer(post(&app, &c, Some(&key), &c.other_body).await).await;
        assert_eq!(
            (again.0, &again.1, again.2),
            (status, &body, true),
            "{route:?}"
        );
    }
}

#[tokio::test]
async fn a_claim_whose_owner_is_gone_is_taken_over() {
    let app = spawn_app().await;
    app.add_newsletter(SLUG, "Daily").await;
    for route in [Route::FeedItems, Route::Import] {
        let c = case(route);
        let key = new_key();
        let before = count(&app, route, SLUG).await;
        let first = answer(post(&app, &c, Some(&key), &c.body).await).await;
        assert!(matches!(first.0, 200 | 201), "{route:?}: {first:?}");
        // As if the first request had claimed the key five minutes ago and
        // its process had died before answering.
        let lost = "UPDATE idempotency_keys SET status = NULL, response = NULL, claimed_at = $1 \
                    WHERE key = $2";
        assert_eq!(
            exec(&app, lost, Utc::now() - chrono::Duration::minutes(5), &key).await,
            1
        );
        let taken = answer(post(&app, &c, Some(&key), &c.body).await).await;
        assert!(
            matches!(taken.0, 200 | 201) && !taken.2,
            "{route:?}: {taken:?}"
        );
        if route == Route::FeedItems {
            assert_eq!(count(&app, route, SLUG).await, before + 2, "done again");
        }
        let again = answer(post(&app, &c, Some(&key), &c.body).await).await;
        assert_eq!((again.0, &again.1, again.2), (taken.0, &taken.1, true));
    }
}

#[tokio::test]
async fn a_request_waits_for_the_answer_of_a_live_claim() {
    let app = spawn_app().await;
    let c = case(Route::FeedItems);
    let key = new_key();
    let first = answer(post(&app, &c, Some(&key), &c.body).await).await;
    assert_eq!(first.0, 201, "{first:?}");
    // Back to "claimed a moment ago, still working".
    let working = "UPDATE idempotency_keys SET status = NULL, claimed_at = $1 WHERE key = $2";
    assert_eq!(exec(&app, working, Utc::now(), &key).await, 1);
    let waiting = tokio::spawn({
        let (client, url, token, body) = (
            app.client.clone(),
            app.url(&c.path),
            app.admin_token.clone(),
            c.body.clone(),
        );
        let key = String::from_utf8(key.clone()).unwrap();
        async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", key)
                .body(body)
                .send()
                .await
                .unwrap();
            answer(r).await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "it waits while the claim is live");
    let answered = "UPDATE idempotency_keys SET status = 201, claimed_at = $1 WHERE key = $2";
    assert_eq!(exec(&app, answered, Utc::now(), &key).await, 1);
    let replay = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered once the claim is")
        .unwrap();
    assert_eq!((replay.0, &replay.1, replay.2), (201, &first.1, true));
    assert_eq!(count(&app, Route::FeedItems, SLUG).await, 1);
}

#[tokio::test]
async fn keys_past_their_day_are_purged() {
    let app = spawn_app_with(&[("purge_interval", "200ms")]).await;
    let (old, fresh) = (new_key(), new_key());
    for key in [&old, &fresh] {
        let c = case_in(Route::FeedItems, SLUG);
        let r = post(&app, &c, Some(key), &c.body).await;
        assert_eq!(r.status(), 201);
    }
    let aged = "UPDATE idempotency_keys SET created_at = $1 WHERE key = $2";
    assert_eq!(exec(&app, aged, hours_ago(25), &old).await, 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while rows_with(&app, &old).await > 0 {
        assert!(Instant::now() < deadline, "the old key is still there");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rows_with(&app, &fresh).await, 1, "a fresh key stays");
}
