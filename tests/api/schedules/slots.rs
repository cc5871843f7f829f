//! One server: the schedule's fields and refusals, a digest per slot with
//! new items and a skipped run without, and turning the schedule off.

use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::helpers::{add_confirmed, add_item, admin, spawn_app, unique_email};

#[tokio::test]
async fn a_schedule_is_shown_checked_and_refused_clearly() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let r = patch(
        &app,
        "daily",
        json!({ "schedule": "0 7 * * 1-5", "timezone": "Europe/Kyiv", "min_items": 2 }),
    )
    .await;
    assert_eq!(r.status(), 200);
    let n: Value = r.json().await.unwrap();
    assert_eq!(n["schedule"], "0 7 * * 1-5");
    assert_eq!(n["timezone"], "Europe/Kyiv");
    assert_eq!(n["min_items"], 2);
    let next: chrono::DateTime<chrono::Utc> = n["next_run_at"].as_str().unwrap().parse().unwrap();
    let local = next.with_timezone(&chrono_tz::Europe::Kyiv);
    assert_eq!(local.format("%H:%M:%S").to_string(), "07:00:00", "{next}");
    assert!(next > chrono::Utc::now());
    // GET shows the same.
    let got: Value = app
        .admin_get("/api/admin/newsletters/daily")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["next_run_at"], n["next_run_at"]);

    for (body, code) in [
        (json!({ "schedule": "every morning" }), "invalid_schedule"),
        (json!({ "schedule": "* * * *" }), "invalid_schedule"),
        (
            json!({ "schedule": "0 0 7 * * * 2030" }),
            "invalid_schedule",
        ),
        (json!({ "schedule": "0 7 31 2 *" }), "invalid_schedule"),
        (json!({ "timezone": "Europe/Atlantis" }), "invalid_timezone"),
        (json!({ "min_items": 0 }), "invalid_min_items"),
    ] {
        let r = patch(&app, "daily", body.clone()).await;
        assert_eq!(r.status(), 422, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"], code, "{body}: {e}");
        assert!(e["message"].as_str().unwrap().len() > 10, "{e}");
    }
    // Nothing of the refused changes stuck.
    let got: Value = app
        .admin_get("/api/admin/newsletters/daily")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["schedule"], "0 7 * * 1-5");
    assert_eq!(got["min_items"], 2);

    // An archived newsletter: 409, and its runs are not found.
    app.add_newsletter("old", "Old").await;
    let r = admin(
        &app,
        reqwest::Method::DELETE,
        "/api/admin/newsletters/old",
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    let r = patch(&app, "old", json!({ "schedule": "0 7 * * *" })).await;
    assert_eq!(r.status(), 409);
    let r = app.admin_get("/api/admin/newsletters/old/runs").await;
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .get(app.url("/api/admin/newsletters/daily/runs"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .admin_get("/api/admin/newsletters/daily/runs?limit=0")
        .await;
    assert_eq!(r.status(), 422);

    // A new newsletter with a bad schedule: 422, and no newsletter.
    let r = crate::helpers::admin_post(
        &app,
        "/api/admin/newsletters",
        json!({ "slug": "fresh", "name": "Fresh", "schedule": "at dawn" }),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        app.admin_get("/api/admin/newsletters/fresh").await.status(),
        404
    );

    // Turned off: no schedule, no next run.
    let r = patch(&app, "daily", json!({ "schedule": null })).await;
    let n: Value = r.json().await.unwrap();
    assert!(n["schedule"].is_null() && n["next_run_at"].is_null(), "{n}");
}

#[tokio::test]
async fn every_five_seconds_one_digest_per_slot_with_news_and_a_skip_without() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let reader = unique_email();
    add_confirmed(&app, "daily", &reader).await;
    add_item(&app, "First", "https://news.example/1", "").await;
    let r = patch(&app, "daily", every(5)).await;
    assert_eq!(r.status(), 200);

    // The first slot sends the item; the next finds nothing new.
    let runs = wait_runs(&app, "daily", 25, |r| {
        !with_status(r, "sent").is_empty() && !with_status(r, "skipped").is_empty()
    })
    .await;
    let sent = with_status(&runs, "sent");
    assert_eq!(sent.len(), 1, "{runs:?}");
    let digests = digests_of(&app, &sent).await;
    assert_eq!(digests[0]["items"], 1);
    assert_eq!(digests[0]["recipients"], 1);
    for r in with_status(&runs, "skipped") {
        assert!(r["digest_id"].is_null(), "{r}");
    }

    // News again: the next slot sends it, in a digest of its own.
    add_item(&app, "Second", "https://news.example/2", "").await;
    let runs = wait_runs(&app, "daily", 15, |r| with_status(r, "sent").len() == 2).await;
    let sent = with_status(&runs, "sent");
    let digests = digests_of(&app, &sent).await;
    assert!(digests.iter().all(|d| d["items"] == 1), "{digests:?}");
    assert_eq!(digest_count(&app).await, 2);
    // Every slot is on a 5-second boundary, each once, newest first.
    let slots: Vec<chrono::DateTime<chrono::Utc>> = runs
        .iter()
        .map(|r| r["slot"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(slots.windows(2).all(|w| w[0] > w[1]), "{slots:?}");
    assert!(slots.iter().all(|s| s.timestamp() % 5 == 0), "{slots:?}");
    assert!(runs.iter().all(|r| r["status"] != "missed"), "{runs:?}");

    // /metrics counts the outcomes.
    let metrics = app.admin_get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("herald_schedule_runs_total{status=\"sent\"}"),
        "{metrics}"
    );

    // Off: no more slots.
    let r = patch(&app, "daily", json!({ "schedule": null })).await;
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = runs_len(&app).await;
    add_item(&app, "Third", "https://news.example/3", "").await;
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(
        runs_len(&app).await,
        before,
        "a slot ran after the schedule was turned off"
    );
    assert_eq!(digest_count(&app).await, 2);
}

async fn runs_len(app: &TestApp) -> usize {
    runs(app, "daily").await.len()
}

#[tokio::test]
async fn min_items_holds_a_slot_until_enough_is_new() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    add_item(&app, "One", "https://news.example/1", "").await;
    let mut body = every(2);
    body["min_items"] = json!(2);
    assert_eq!(patch(&app, "daily", body).await.status(), 200);
    let runs = wait_runs(&app, "daily", 10, |r| !with_status(r, "skipped").is_empty()).await;
    assert!(with_status(&runs, "sent").is_empty(), "{runs:?}");
    add_item(&app, "Two", "https://news.example/2", "").await;
    let runs = wait_runs(&app, "daily", 10, |r| !with_status(r, "sent").is_empty()).await;
    let digests = digests_of(&app, &with_status(&runs, "sent")).await;
    assert_eq!(digests[0]["items"], 2);
}
