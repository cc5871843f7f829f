//! Adding subscribers by hand and changing their status.

use serde_json::{json, Value};

use crate::helpers::{admin, confirm_token_for, spawn_app, unique_email};

use super::*;

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
