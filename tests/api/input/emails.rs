//! The address rules: what is accepted (normalised), what is refused, and
//! a form with a bad address.

use serde_json::{json, Value};

use crate::helpers::{random_hex, spawn_app, subscribers, unique_email};

use super::*;

#[tokio::test]
async fn accepted_addresses_are_stored_normalised() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let ordinary = unique_email();
    let hex = random_hex(12);
    let long_local = format!("{}@example.com", random_hex(64));
    let longest = address_of_length(254);
    let cases: Vec<(String, String)> = vec![
        (ordinary.clone(), ordinary.clone()),
        (
            format!("  Reader-{hex}@Example.COM  "),
            format!("reader-{hex}@example.com"),
        ),
        (
            format!("u{hex}@bücher.example"),
            format!("u{hex}@xn--bcher-kva.example"),
        ),
        (long_local.clone(), long_local),
        (longest.clone(), longest),
    ];
    for (sent, stored) in &cases {
        let r = app
            .post_json(
                "/subscriptions",
                &json!({ "email": sent, "newsletter": "daily" }),
            )
            .await;
        assert_eq!(r.status(), 202, "{sent:?}: {}", r.text().await.unwrap());
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"status": "pending"})
        );
        assert_eq!(
            app.status_of("daily", stored).await.as_deref(),
            Some("pending"),
            "{sent:?} stored as {stored:?}"
        );
    }
    // The same address in another case and spacing is the same subscriber.
    let again = format!(" READER-{}@EXAMPLE.com", hex.to_uppercase());
    let r = app
        .post_form(
            "/subscriptions",
            &form(&[("email", &again), ("newsletter", "daily")]),
        )
        .await;
    assert_eq!(r.status(), 303);
    let subs = subscribers(&app, "daily").await;
    assert_eq!(subs.len(), cases.len(), "{subs:?}");
    for s in &subs {
        let email = s["email"].as_str().unwrap();
        assert_eq!(email, email.trim().to_lowercase());
    }
}

#[tokio::test]
async fn refused_addresses_get_422_and_store_nothing() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let cases: Vec<(&str, String)> = vec![
        ("no @", "plainaddress.example.com".into()),
        ("no dot in the domain", "abc@bar".into()),
        ("IPv4 literal", "a@127.0.0.1".into()),
        ("bracketed IP literal", "a@[127.0.0.1]".into()),
        ("IPv6 literal", "a@[IPv6:::1]".into()),
        (
            "65-octet local part",
            format!("{}@example.com", "a".repeat(65)),
        ),
        ("255 octets", address_of_length(255)),
        ("non-ASCII local part", "jörg@example.com".into()),
        ("CR LF", "a@example.com\r\nBcc: x@example.com".into()),
        ("LF", "a@example.com\nx@example.com".into()),
        ("NUL", "a\0@example.com".into()),
        ("empty", String::new()),
        ("blank", "   ".into()),
        ("no local part", "@example.com".into()),
        ("two @", "a@b@example.com".into()),
        ("space in the domain", "a@exa mple.com".into()),
    ];
    for (what, email) in &cases {
        let r = app
            .post_json(
                "/subscriptions",
                &json!({ "email": email, "newsletter": "daily" }),
            )
            .await;
        assert_eq!(r.status(), 422, "JSON, {what}: {email:?}");
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"error": "invalid_email", "message": INVALID_EMAIL}),
            "JSON, {what}"
        );

        let r = app
            .post_form(
                "/subscriptions",
                &form(&[("email", email), ("newsletter", "daily")]),
            )
            .await;
        assert_eq!(r.status(), 422, "form, {what}: {email:?}");
        assert!(
            r.text().await.unwrap().contains(INVALID_EMAIL),
            "form, {what}"
        );
    }
    for (_, email) in &cases {
        let key = email.trim().to_lowercase();
        assert_eq!(app.status_of("daily", &key).await, None, "{email:?}");
    }
    assert_nothing_stored(&app, "daily").await;
}

#[tokio::test]
async fn a_form_with_a_bad_address_gets_its_page_back_with_the_value_kept() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let r = app
        .post_form(
            "/subscriptions",
            "newsletter=daily&email=not-an-address&website=",
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert_eq!(html.matches(INVALID_EMAIL).count(), 1, "{html}");
    assert!(html.contains("value=\"not-an-address\""), "{html}");
    assert!(html.contains("Daily briefing"), "the newsletter's own page");
    assert!(
        html.contains("value=\"daily\""),
        "the form names the newsletter"
    );

    // The typed value is escaped, not echoed as markup.
    let r = app
        .post_form(
            "/subscriptions",
            &form(&[
                ("newsletter", "daily"),
                ("email", "\"><script>alert(1)</script>"),
            ]),
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(INVALID_EMAIL));
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert_nothing_stored(&app, "daily").await;
}
