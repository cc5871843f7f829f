//! Newsletters created, listed and checked through the admin API.

use serde_json::{json, Value};

use crate::helpers::{admin_post, spawn_app};

use super::*;

#[tokio::test]
async fn newsletters_are_created_listed_and_checked() {
    let app = spawn_app().await;
    assert!(newsletter_slugs(&app).await.is_empty());

    let r = admin_post(
        &app,
        "/api/admin/newsletters",
        &json!({ "slug": "daily", "name": "  Daily briefing ", "description": "Every morning." }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["slug"], "daily");
    assert_eq!(created["name"], "Daily briefing");
    assert_eq!(created["description"], "Every morning.");
    assert!(created.get("id").is_none() || created["id"].is_number());

    let r = admin_post(
        &app,
        "/api/admin/newsletters",
        &json!({ "slug": "weekly-2", "name": "Weekly" }),
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["description"], "");

    let r = app.admin_get("/api/admin/newsletters").await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    let list = list["newsletters"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["slug"], "daily");
    assert_eq!(list[0]["name"], "Daily briefing");
    assert_eq!(list[0]["description"], "Every morning.");
    assert_eq!(list[1]["slug"], "weekly-2");

    // A taken slug: 409, and the first one is unchanged.
    let r = admin_post(
        &app,
        "/api/admin/newsletters",
        &json!({ "slug": "daily", "name": "Another" }),
    )
    .await;
    assert_eq!(r.status(), 409);
    error_code(r).await;

    let refused = [
        json!({ "slug": "Bad Slug", "name": "Bad" }),
        json!({ "slug": "", "name": "Empty slug" }),
        json!({ "slug": "-dash", "name": "Leading dash" }),
        json!({ "slug": "a/b", "name": "Slash" }),
        json!({ "slug": "x".repeat(65), "name": "Too long" }),
        json!({ "slug": "fine", "name": "" }),
        json!({ "slug": "fine", "name": "   " }),
        json!({ "slug": "fine", "name": "Bell\u{7}" }),
        json!({ "slug": "fine", "name": "Fine", "description": "a\r\nb" }),
    ];
    for body in &refused {
        let r = admin_post(&app, "/api/admin/newsletters", body).await;
        assert_eq!(r.status(), 422, "{body}");
        error_code(r).await;
    }

    let malformed = [
        "{\"slug\": \"fine\", \"name\": ",
        "not json",
        "{\"slug\": \"fine\"}",
        "{\"slug\": 7, \"name\": \"Seven\"}",
        "[]",
    ];
    for body in malformed {
        let r = admin_post_raw(
            &app,
            "/api/admin/newsletters",
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(r.status(), 400, "{body}");
        assert_eq!(error_code(r).await, "bad_request");
    }

    let json_text = r#"{"slug":"fine","name":"Fine"}"#;
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let r = admin_post_raw(&app, "/api/admin/newsletters", ct, json_text).await;
        assert_eq!(r.status(), 415, "{ct:?}");
        assert_eq!(error_code(r).await, "unsupported_media_type");
    }

    assert_eq!(
        newsletter_slugs(&app).await,
        vec!["daily".to_string(), "weekly-2".to_string()]
    );
    let r = app.admin_get("/api/admin/newsletters").await;
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["newsletters"][0]["name"], "Daily briefing");
}
