//! Newsletters have a language: their pages, emails and messages speak it,
//! and `/` follows the browser among the shipped ones.

use serde_json::json;

use super::newsletter;
use crate::helpers::{
    add_confirmed, admin, admin_post, confirm_token_for, spawn_app, spawn_app_with, unique_email,
    wait_for_emails,
};

#[tokio::test]
async fn language_is_set_checked_and_shown() {
    let app = spawn_app().await;
    let r = newsletter(&app, "visti", "Вісті", json!({ "language": "uk" })).await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["language"],
        "uk"
    );
    app.add_newsletter("daily", "Daily").await;
    let daily: serde_json::Value = app
        .admin_get("/api/admin/newsletters/daily")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        daily["language"], "en",
        "the default follows HERALD_LANGUAGE"
    );

    // Unknown codes: 422, and nothing is created or changed.
    for bad in [json!("xx"), json!("ru"), json!(""), json!(7)] {
        let r = newsletter(&app, "bad", "Bad", json!({ "language": bad })).await;
        assert!(
            r.status() == 422 || r.status() == 400,
            "{bad}: {}",
            r.status()
        );
    }
    let r = newsletter(&app, "bad", "Bad", json!({ "language": "de" })).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_language"
    );
    assert_eq!(
        app.admin_get("/api/admin/newsletters/bad").await.status(),
        404
    );
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        "/api/admin/newsletters/visti",
        Some(json!({ "language": "klingon" })),
    )
    .await;
    assert_eq!(r.status(), 422);
    let visti: serde_json::Value = app
        .admin_get("/api/admin/newsletters/visti")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(visti["language"], "uk");

    // PATCH changes it, and only it.
    let r = admin(
        &app,
        reqwest::Method::PATCH,
        "/api/admin/newsletters/daily",
        Some(json!({ "language": "uk" })),
    )
    .await;
    assert_eq!(r.status(), 200);
    let daily: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (daily["language"].as_str(), daily["name"].as_str()),
        (Some("uk"), Some("Daily"))
    );
}

#[tokio::test]
async fn a_ukrainian_newsletter_speaks_ukrainian_from_form_to_email() {
    let app = spawn_app().await;
    assert_eq!(
        newsletter(&app, "visti", "Вісті Полтави", json!({ "language": "uk" }))
            .await
            .status(),
        201
    );
    // Its page, and a bad address typed into it.
    let page = app
        .client
        .get(app.url("/newsletters/visti"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<html lang="uk">"#), "{html}");
    assert!(html.contains("Введіть свою електронну адресу, щоб підписатися"));
    assert!(!html.contains("Enter your email"));
    let r = app
        .post_form("/subscriptions", "email=nope&newsletter=visti")
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Будь ласка, введіть правильну адресу електронної пошти"));
    let r = app
        .post_json(
            "/subscriptions",
            &json!({ "email": "nope", "newsletter": "visti" }),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_email");
    assert_eq!(
        body["message"],
        "Будь ласка, введіть правильну адресу електронної пошти"
    );

    // A good one lands on the pending page in Ukrainian.
    let reader = unique_email();
    let r = app
        .post_form(
            "/subscriptions",
            &format!("email={}&newsletter=visti", urlencode(&reader)),
        )
        .await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, "/subscriptions/pending?lang=uk");
    let pending = app
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(pending.contains("Ви успішно підписалися"), "{pending}");

    // The confirmation email is Ukrainian, subject and body.
    let mail = &wait_for_emails(&reader, 1).await[0];
    assert_eq!(mail["subject"], "Підтвердьте підписку на «Вісті Полтави»");
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.contains("Щоб підтвердити підписку, відкрийте це посилання:"),
        "{text}"
    );
    assert!(text.contains("Посилання діє 48 годин."), "{text}");
    assert!(!text.contains("confirm your subscription"), "{text}");
    assert!(mail["html"]
        .as_str()
        .unwrap()
        .contains(r#"<html lang="uk">"#));

    // The confirm page, and what it answers, too.
    let token = confirm_token_for(&reader).await;
    let html = app
        .client
        .get(app.url(&format!("/subscriptions/confirm?token={token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Підтвердити підписку"), "{html}");
    let r = app
        .post_form(
            "/subscriptions/confirm",
            &format!("token={token}&selected=1&newsletter=visti&lang=uk"),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Підписку підтверджено"));
}

#[tokio::test]
async fn the_index_follows_accept_language() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let get = |lang: Option<&'static str>| {
        let mut r = app.client.get(app.url("/"));
        if let Some(l) = lang {
            r = r.header("Accept-Language", l);
        }
        async move { r.send().await.unwrap().text().await.unwrap() }
    };
    let uk = get(Some("uk-UA,uk;q=0.9,en;q=0.8")).await;
    assert!(
        uk.contains(r#"<html lang="uk">"#) && uk.contains("<h1>Розсилки</h1>"),
        "{uk}"
    );
    let de = get(Some("de-DE,de;q=0.9,uk;q=0.5")).await;
    assert!(
        de.contains(r#"<html lang="uk">"#),
        "the first shipped one asked for"
    );
    for other in [
        get(Some("fr, de;q=0.5")).await,
        get(None).await,
        get(Some("*;q=0;;;")).await,
    ] {
        assert!(
            other.contains(r#"<html lang="en">"#) && other.contains("<h1>Newsletters</h1>"),
            "{other}"
        );
    }

    // HERALD_LANGUAGE sets what browsers that ask for nothing shipped get.
    let uk_site = spawn_app_with(&[("language", "uk")]).await;
    let html = uk_site
        .client
        .get(uk_site.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>Розсилки</h1>"), "{html}");
    let missing = uk_site
        .client
        .get(uk_site.url("/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("Сторінку не знайдено"));
}

#[tokio::test]
async fn digests_show_times_in_the_zone_and_language_of_the_newsletter() {
    let app = spawn_app_with(&[("timezone", "Europe/Kyiv")]).await;
    assert_eq!(
        newsletter(&app, "visti", "Вісті", json!({ "language": "uk" }))
            .await
            .status(),
        201
    );
    let reader = unique_email();
    add_confirmed(&app, "visti", &reader).await;
    // 22:30 UTC on New Year's Eve is already 00:30 on 1 January in Kyiv.
    let r = admin_post(
        &app,
        "/api/admin/feed-items",
        json!({
            "title": "Новорічна ніч", "url": "https://news.example/ny",
            "summary": "", "published_at": "2025-12-31T22:30:00Z", "newsletters": ["visti"],
        }),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = app
        .client
        .post(app.url("/api/admin/newsletters/visti/digests"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let mail = &wait_for_emails(&reader, 1).await[0];
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("1 січня 2026, 00:30"), "{text}");
    assert!(!text.contains("UTC"), "{text}");
    assert!(text.contains("Відписатися: "), "{text}");
    assert!(mail["html"].as_str().unwrap().contains("Читати далі"));
}

fn urlencode(s: &str) -> String {
    s.replace('@', "%40").replace('+', "%2B")
}
