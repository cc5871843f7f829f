//! Refused fields, wrong methods and unknown paths: the 4xx the contract
//! names, never a 5xx.

use rand::RngExt;
use serde_json::json;

use crate::helpers::{spawn_app, unique_email};

use super::*;

#[tokio::test]
async fn refused_fields_get_422() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let json_cases = [
        (
            "unknown newsletter",
            json!({ "email": email, "newsletter": "nope" }),
        ),
        (
            "one unknown among several",
            json!({ "email": email, "newsletters": ["daily", "nope"] }),
        ),
        (
            "control character in the name",
            json!({ "email": email, "newsletter": "daily", "name": "Ada\u{7}" }),
        ),
        (
            "CR LF in the name",
            json!({ "email": email, "newsletter": "daily", "name": "Ada\r\nBcc: x@example.com" }),
        ),
        (
            "control character in the newsletter",
            json!({ "email": email, "newsletter": "daily\n" }),
        ),
        (
            "NUL in the newsletter",
            json!({ "email": email, "newsletters": ["da\u{0}ily"] }),
        ),
    ];
    for (what, body) in &json_cases {
        let r = app.post_json("/subscriptions", body).await;
        assert_eq!(r.status(), 422, "JSON, {what}");
        let body = error_json(r).await;
        assert_ne!(body["error"], "invalid_email", "JSON, {what}");
    }
    let form_cases = [
        (
            "unknown newsletter",
            form(&[("email", &email), ("newsletter", "nope")]),
        ),
        (
            "control character in the name",
            form(&[
                ("email", &email),
                ("newsletter", "daily"),
                ("name", "Ada\u{1b}[31m"),
            ]),
        ),
        (
            "control character in the newsletter",
            form(&[("email", &email), ("newsletter", "daily\r")]),
        ),
    ];
    for (what, body) in &form_cases {
        let r = app.post_form("/subscriptions", body).await;
        assert_eq!(r.status(), 422, "form, {what}");
    }
    assert_eq!(app.status_of("daily", &email).await, None);
    assert_nothing_stored(&app, "daily").await;
}

#[tokio::test]
async fn wrong_methods_get_405_with_a_json_body() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::PUT, "/subscriptions"),
        (reqwest::Method::GET, "/subscriptions"),
        (reqwest::Method::DELETE, "/subscriptions/confirm"),
        (reqwest::Method::PATCH, "/subscriptions/unsubscribe"),
        (reqwest::Method::POST, "/health"),
        (reqwest::Method::POST, "/subscriptions/pending"),
        (reqwest::Method::DELETE, "/"),
    ];
    for (method, path) in cases {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method} {path}");
        let body = error_json(r).await;
        assert_eq!(body["error"], "method_not_allowed", "{method} {path}");
    }
}

#[tokio::test]
async fn unknown_paths_get_404() {
    let app = spawn_app().await;
    for path in ["/nope", "/subscriptions/nope", "/newsletters/daily/extra"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = app
        .client
        .post(app.url("/subscription"))
        .json(&json!({ "email": unique_email() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app.client.get(app.url("/api/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_json(r).await["error"], "not_found");
}

#[tokio::test]
async fn no_input_produces_a_5xx() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let random: Vec<Vec<u8>> = {
        let mut rng = rand::rng();
        (0..8)
            .map(|i| (0..64 * (i + 1)).map(|_| rng.random::<u8>()).collect())
            .collect()
    };
    let deep_arrays = format!("{}{}", "[".repeat(4000), "]".repeat(4000));
    let deep_objects = format!("{}null{}", r#"{"email":"#.repeat(1500), "}".repeat(1500));
    let many: Vec<String> = (0..60).map(|i| format!("n{i}")).collect();
    let json_bodies: Vec<String> = vec![
        deep_arrays,
        deep_objects,
        r#"{"email":1e999999}"#.into(),
        r#"{"email":-123456789012345678901234567890123456789}"#.into(),
        format!(r#"{{"email":"{email}","name":1e400,"newsletter":"daily"}}"#),
        format!(r#"{{"email":"{email}","newsletters":[1e400]}}"#),
        r#"[]"#.into(),
        r#"[1,2,3]"#.into(),
        r#""x@example.com""#.into(),
        r#"null"#.into(),
        r#"{"email":null}"#.into(),
        r#"{"email":["x@example.com"]}"#.into(),
        r#"{"email":{"address":"x@example.com"}}"#.into(),
        r#"{"email":"x@example.com","email":"y@example.com","newsletter":"daily"}"#.into(),
        format!(r#"{{"email":"{email}","newsletters":[null]}}"#),
        json!({ "email": email, "newsletters": many }).to_string(),
        json!({ "email": email, "newsletter": "" }).to_string(),
        json!({ "email": email, "newsletter": "x".repeat(5000) }).to_string(),
        json!({ "email": "x".repeat(10000) }).to_string(),
        json!({ "email": format!("{}@example.com", "é".repeat(3000)) }).to_string(),
        json!({ "email": email, "newsletter": "daily", "name": "é".repeat(257) }).to_string(),
        json!({ "email": "\u{feff}x@example.com", "newsletter": "daily" }).to_string(),
        json!({ "email": "x@example.com\u{0}", "newsletter": "daily" }).to_string(),
        json!({ "email": "x@xn--.com", "newsletter": "daily" }).to_string(),
        json!({ "email": "x@\u{200b}.com", "newsletter": "daily" }).to_string(),
        r#"{"email":"\ud800@example.com","newsletter":"daily"}"#.into(),
        "\u{feff}{}".into(),
    ];
    let form_bodies: Vec<String> = vec![
        "email".into(),
        "=&=&&==".into(),
        "email=%00&newsletter=daily".into(),
        "email=a%40b.c&newsletter=%00".into(),
        "email=nope&newsletter=daily&page=%00".into(),
        "email=&email=&email=".into(),
        "%%%%%%".into(),
        format!("email={}", "%41".repeat(4000)),
        (0..60)
            .map(|i| format!("newsletter=n{i}&"))
            .collect::<String>()
            + "email=a%40example.com",
    ];

    let mut requests: Vec<(String, &str, Vec<u8>)> = Vec::new();
    for b in &json_bodies {
        requests.push(("json".into(), "application/json", b.clone().into_bytes()));
    }
    for b in &form_bodies {
        requests.push((
            "form".into(),
            "application/x-www-form-urlencoded",
            b.clone().into_bytes(),
        ));
    }
    for (i, b) in random.iter().enumerate() {
        requests.push((format!("random {i}"), "application/json", b.clone()));
        requests.push((
            format!("random {i}"),
            "application/x-www-form-urlencoded",
            b.clone(),
        ));
        requests.push((format!("random {i}"), "multipart/form-data", b.clone()));
    }
    let mut failures = Vec::new();
    for (what, ct, body) in requests {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(80)
            .collect::<String>();
        let r = post_raw(&app, "/subscriptions", &[("Content-Type", ct)], body).await;
        if r.status().is_server_error() {
            failures.push(format!("POST {what} {ct} {shown:?}: {}", r.status()));
        }
    }

    // Odd paths and links, too.
    for path in [
        "/newsletters/%FF%FE",
        "/newsletters/..%2F..%2Fetc%2Fpasswd",
        "/subscriptions/confirm?token=%00",
        "/subscriptions/confirm?token=%FF",
        "/subscriptions/unsubscribe?token=%00",
        "/subscriptions/unsubscribe?token=not.a.token",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        if r.status().is_server_error() {
            failures.push(format!("GET {path}: {}", r.status()));
        }
    }
    for (path, body) in [
        ("/subscriptions/confirm", "token=%00"),
        ("/subscriptions/confirm", "token=%FF%FE"),
        ("/subscriptions/confirm?token=%00", ""),
        (
            "/subscriptions/unsubscribe?token=%00",
            "List-Unsubscribe=One-Click",
        ),
        (
            "/subscriptions/unsubscribe?token=x",
            "List-Unsubscribe=One-Click",
        ),
    ] {
        let r = app.post_form(path, body).await;
        if r.status().is_server_error() {
            failures.push(format!("POST {path} {body:?}: {}", r.status()));
        }
    }
    assert!(failures.is_empty(), "5xx answers: {failures:#?}");

    // Nothing half-written by all that.
    assert_nothing_stored(&app, "daily").await;
    let r = app.signup(&email, &["daily"]).await;
    assert_eq!(r.status(), 202, "the server still works");
}

/// A NUL byte in a path segment reaches the database as text; PostgreSQL
/// refuses such a string, which must end as a 404, not a 500.
#[tokio::test]
async fn a_nul_byte_in_a_slug_is_a_404_not_a_5xx() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let mut answers = Vec::new();
    for path in [
        "/newsletters/%00",
        "/newsletters/daily%00",
        "/api/admin/newsletters/%00/subscribers",
    ] {
        let r = app.admin_get(path).await;
        answers.push((path, r.status().as_u16()));
    }
    assert!(
        answers.iter().all(|(_, s)| *s == 404),
        "expected 404 for each: {answers:?}"
    );
}

/// RFC 9110 §15.5.6: a 405 answer MUST carry an `Allow` header listing the
/// methods the resource supports.
#[tokio::test]
async fn a_405_names_the_allowed_methods() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::PUT, "/subscriptions", &["POST"][..]),
        (
            reqwest::Method::DELETE,
            "/subscriptions/confirm",
            &["GET", "HEAD", "POST"][..],
        ),
        (reqwest::Method::POST, "/health", &["GET", "HEAD"][..]),
    ];
    let mut missing = Vec::new();
    for (method, path, want) in cases {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method} {path}");
        let allow: Vec<String> = r
            .headers()
            .get_all("allow")
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(','))
            .map(|m| m.trim().to_ascii_uppercase())
            .collect();
        if !want.iter().all(|m| allow.iter().any(|a| a == m)) {
            missing.push(format!("{method} {path}: Allow {allow:?}, want {want:?}"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}
