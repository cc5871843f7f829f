//! Scheduled digests: setting a schedule, one digest per slot with new
//! items and a skipped run without, several processes on one database,
//! and processes killed around a slot (within and past the grace).
//! Shared helpers live here.

mod processes;
mod slots;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{admin, TestApp};

/// PATCHes the newsletter with `body` (schedule fields).
async fn patch(app: &TestApp, slug: &str, body: Value) -> reqwest::Response {
    admin(
        app,
        reqwest::Method::PATCH,
        &format!("/api/admin/newsletters/{slug}"),
        Some(body),
    )
    .await
}

/// The newsletter's slots, newest first.
async fn runs(app: &TestApp, slug: &str) -> Vec<Value> {
    let r = app
        .admin_get(&format!("/api/admin/newsletters/{slug}/runs"))
        .await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap().as_array().unwrap().clone()
}

/// Waits (up to `secs`) until `done` holds for the runs, which it answers.
async fn wait_runs(
    app: &TestApp,
    slug: &str,
    secs: u64,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let r = runs(app, slug).await;
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "runs never got there: {r:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn with_status<'a>(runs: &'a [Value], status: &str) -> Vec<&'a Value> {
    runs.iter().filter(|r| r["status"] == status).collect()
}

/// The digests of `slug` the runs name, checked to exist and be distinct.
async fn digests_of(app: &TestApp, runs: &[&Value]) -> Vec<Value> {
    let mut ids: Vec<i64> = runs
        .iter()
        .map(|r| r["digest_id"].as_i64().expect("a sent slot has its digest"))
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "one digest per slot: {runs:?}");
    let mut out = Vec::new();
    for id in ids {
        let r = app.admin_get(&format!("/api/admin/digests/{id}")).await;
        assert_eq!(r.status(), 200);
        out.push(r.json().await.unwrap());
    }
    out
}

/// How many digests the newsletter has, counted in the database.
async fn digest_count(app: &TestApp) -> i64 {
    let sql = "SELECT COUNT(*) FROM digests";
    match &app.store {
        herald::store::Store::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        herald::store::Store::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

fn every(seconds: u32) -> Value {
    json!({ "schedule": format!("*/{seconds} * * * * *"), "timezone": "UTC" })
}
