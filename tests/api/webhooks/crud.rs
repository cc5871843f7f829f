//! Endpoints through the admin API and the console: the secret once,
//! refusals (private addresses, unknown events), changes and removal.

use base64::Engine;
use serde_json::{json, Value};

use super::{add_endpoint, ALL_EVENTS};
use crate::console::{get, origin, post, signed_in};
use crate::helpers::{admin, admin_post, spawn_app};

/// A public address that no test ever sends to (nothing emits an event).
const PUBLIC: &str = "https://93.184.215.14/hooks/herald";

#[tokio::test]
async fn an_endpoint_is_added_shown_changed_and_removed_with_its_secret_shown_once() {
    let app = spawn_app().await;
    let created = add_endpoint(&app, PUBLIC, &["digest.sent", "subscriber.confirmed"]).await;
    let secret = created["secret"].as_str().unwrap();
    let key = secret.strip_prefix("whsec_").expect("a whsec_ secret");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap();
    assert!(decoded.len() >= 24, "{secret}");
    assert_eq!(created["url"], PUBLIC);
    assert_eq!(
        created["events"],
        json!(["subscriber.confirmed", "digest.sent"])
    );
    let id = created["id"].as_i64().unwrap();

    // Never again: not in the list, not in the endpoint.
    let list = app.admin_get("/api/admin/webhooks").await;
    assert_eq!(list.status(), 200);
    let text = list.text().await.unwrap();
    assert!(!text.contains(key) && !text.contains("secret"), "{text}");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);
    let one = app.admin_get(&format!("/api/admin/webhooks/{id}")).await;
    assert_eq!(one.status(), 200);
    let one: Value = one.json().await.unwrap();
    assert!(one.get("secret").is_none());
    assert_eq!(one["disabled_at"], Value::Null);
    assert_eq!(one["pending"], 0);

    let path = format!("/api/admin/webhooks/{id}");
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"events": ["subscriber.erased"]})),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["events"],
        json!(["subscriber.erased"])
    );
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let paused: Value = r.json().await.unwrap();
    assert!(paused["disabled_at"].is_string(), "{paused}");
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(json!({"enabled": true})),
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["disabled_at"], Value::Null);

    // Bad changes: 4xx, nothing changed.
    for (body, status) in [
        (json!({"events": []}), 422),
        (json!({"events": ["subscriber.created"]}), 422),
        (json!({"enabled": "yes"}), 400),
        (json!({"url": "https://elsewhere.example/"}), 400),
    ] {
        let r = admin(&app, reqwest::Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(r.status(), status, "{body}");
    }
    let one: Value = app.admin_get(&path).await.json().await.unwrap();
    assert_eq!(one["events"], json!(["subscriber.erased"]));

    let log = app.admin_get(&format!("{path}/deliveries")).await;
    assert_eq!(log.status(), 200);
    assert_eq!(log.json::<Value>().await.unwrap()["attempts"], json!([]));

    assert_eq!(
        admin(&app, reqwest::Method::DELETE, &path, None)
            .await
            .status(),
        204
    );
    assert_eq!(app.admin_get(&path).await.status(), 404);
    assert_eq!(
        admin(&app, reqwest::Method::DELETE, &path, None)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.admin_get(&format!("{path}/deliveries")).await.status(),
        404
    );
}

#[tokio::test]
async fn private_addresses_bad_urls_and_unknown_events_are_refused() {
    let app = spawn_app().await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:192.168.1.1]/hook",
        "http://0x7f.1/hook",
    ] {
        let r = admin_post(
            &app,
            "/api/admin/webhooks",
            json!({"url": url, "events": ALL_EVENTS}),
        )
        .await;
        assert_eq!(r.status(), 422, "{url}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "private_url", "{url}: {body}");
    }
    for (body, code) in [
        (
            json!({"url": "ftp://93.184.215.14/", "events": ALL_EVENTS}),
            "invalid_url",
        ),
        (
            json!({"url": "not a url", "events": ALL_EVENTS}),
            "invalid_url",
        ),
        (json!({"url": PUBLIC, "events": []}), "invalid_events"),
        (
            json!({"url": PUBLIC, "events": ["subscriber.created"]}),
            "invalid_event",
        ),
    ] {
        let r = admin_post(&app, "/api/admin/webhooks", body.clone()).await;
        assert_eq!(r.status(), 422, "{body}");
        let got: Value = r.json().await.unwrap();
        assert_eq!(got["error"], code, "{body}: {got}");
    }
    let r = admin_post(&app, "/api/admin/webhooks", json!({"url": PUBLIC})).await;
    assert_eq!(r.status(), 400);
    let r = app
        .client
        .post(app.url("/api/admin/webhooks"))
        .json(&json!({"url": PUBLIC, "events": ALL_EVENTS}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    for path in ["/api/admin/webhooks/abc", "/api/admin/webhooks/999999"] {
        assert_eq!(app.admin_get(path).await.status(), 404, "{path}");
    }
    let list: Value = app
        .admin_get("/api/admin/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["webhooks"], json!([]), "nothing was added");

    // The opt-in for tests lifts the guard.
    let open = crate::helpers::spawn_app_with(&[("feeds_allow_private", "true")]).await;
    add_endpoint(&open, "http://127.0.0.1:9/hook", &["digest.sent"]).await;
}

#[tokio::test]
async fn a_repeated_idempotency_key_answers_the_first_endpoint_again() {
    let app = spawn_app().await;
    let send = || {
        app.client
            .post(app.url("/api/admin/webhooks"))
            .bearer_auth(&app.admin_token)
            .header("Idempotency-Key", "add-crm-hook")
            .json(&json!({"url": PUBLIC, "events": ["digest.sent"]}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let list: Value = app
        .admin_get("/api/admin/webhooks")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["webhooks"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_console_adds_an_endpoint_shows_its_secret_once_and_removes_it() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    let page = get(&app, "/admin/webhooks", &admin.cookie).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("No endpoint yet"));
    let o = origin(&app);
    let r = post(
        &app,
        "/admin/webhooks/add",
        &admin.cookie,
        Some(&o),
        &[
            ("csrf", &admin.csrf),
            ("url", PUBLIC),
            ("event", "digest.sent"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let start = html.find("whsec_").expect("the secret is shown");
    let secret: String = html[start..]
        .chars()
        .take_while(|c| !matches!(c, '<' | '"' | ' '))
        .collect();
    let list = get(&app, "/admin/webhooks", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("93.184.215.14") && !list.contains(&secret),
        "shown once"
    );
    let r = post(
        &app,
        "/admin/webhooks/add",
        &admin.cookie,
        Some(&o),
        &[
            ("csrf", &admin.csrf),
            ("url", "http://127.0.0.1/x"),
            ("event", "digest.sent"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let api: Value = app
        .admin_get("/api/admin/webhooks")
        .await
        .json()
        .await
        .unwrap();
    let id = api["webhooks"][0]["id"].as_i64().unwrap();
    assert_eq!(api["webhooks"].as_array().unwrap().len(), 1);
    let log = get(&app, &format!("/admin/webhooks/{id}"), &admin.cookie).await;
    assert_eq!(log.status(), 200);
    assert!(log
        .text()
        .await
        .unwrap()
        .contains("No delivery attempted yet"));
    let r = post(
        &app,
        &format!("/admin/webhooks/{id}/delete"),
        &admin.cookie,
        Some(&o),
        &[("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.admin_get(&format!("/api/admin/webhooks/{id}"))
            .await
            .status(),
        404
    );
}
