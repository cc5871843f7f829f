//! The range checks on admin requests (`#[derive(Validate)]` on the request
//! structs): each refusal is a 422 with its own code and message, the
//! bounds themselves pass, and a value that isn't a number stays a 400.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{admin, spawn_app};

/// Asserts a 422 whose JSON body is exactly `{"error": code, "message": message}`.
async fn refused(r: reqwest::Response, code: &str, message: &str, what: &str) {
    assert_eq!(r.status(), 422, "{what}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body, json!({ "error": code, "message": message }), "{what}");
}

#[tokio::test]
async fn list_limits_are_1_to_1000() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    for path in [
        "/api/admin/newsletters/daily/subscribers",
        "/api/admin/feed-items",
        "/api/admin/newsletters/daily/runs",
    ] {
        for bad in ["0", "1001", "4294967295"] {
            let r = app.admin_get(&format!("{path}?limit={bad}")).await;
            refused(
                r,
                "invalid_limit",
                "limit is 1 to 1000",
                &format!("{path} {bad}"),
            )
            .await;
        }
        for good in ["1", "1000"] {
            let r = app.admin_get(&format!("{path}?limit={good}")).await;
            assert_eq!(r.status(), 200, "{path} {good}");
        }
        let r = app.admin_get(&format!("{path}?limit=-1")).await;
        assert_eq!(r.status(), 400, "{path} -1");
    }
    // A bad status is reported before a bad limit, as it always was.
    let r = app
        .admin_get("/api/admin/newsletters/daily/subscribers?status=gone&limit=0")
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_status");
}

#[tokio::test]
async fn digest_and_schedule_counts_are_1_to_100() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let digests = "/api/admin/newsletters/daily/digests";
    for bad in [0, 101] {
        let r = admin(
            &app,
            Method::POST,
            digests,
            Some(json!({ "max_items": bad })),
        )
        .await;
        refused(r, "invalid_max_items", "max_items is 1 to 100", "max_items").await;
        let r = admin(
            &app,
            Method::PATCH,
            "/api/admin/newsletters/daily",
            Some(json!({ "min_items": bad })),
        )
        .await;
        refused(r, "invalid_min_items", "min_items is 1 to 100", "min_items").await;
    }
    // In range, the checks let it through: nothing is new yet (409), and
    // the newsletter takes the new count.
    let r = admin(
        &app,
        Method::POST,
        digests,
        Some(json!({ "max_items": 100 })),
    )
    .await;
    assert_eq!(r.status(), 409);
    let r = admin(
        &app,
        Method::PATCH,
        "/api/admin/newsletters/daily",
        Some(json!({ "min_items": 100 })),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["min_items"], 100);
}
