//! The publication's name, link, logo and colour replace "Herald" wherever
//! a reader looks, and a deployment can reword any message.

use serde_json::json;

use crate::helpers::{
    add_confirmed, add_item, random_hex, spawn_app_with, unique_email, wait_for_emails,
};

#[tokio::test]
async fn the_site_name_replaces_herald_on_pages_and_in_emails() {
    let app = spawn_app_with(&[
        ("site_name", "Полтавські новини"),
        ("site_url", "https://news.example/"),
        ("logo_url", "https://news.example/logo.svg"),
        ("accent_color", "#C0392B"),
        // No HERALD_FROM: the sender's display name is the site's.
        ("from", ""),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    for path in [
        "/",
        "/newsletters/daily",
        "/subscriptions/pending",
        "/nowhere",
    ] {
        let html = app
            .client
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("Полтавські новини"), "{path}: {html}");
        assert!(!html.contains("Herald"), "{path} still says Herald: {html}");
        assert!(html.contains(r#"href="https://news.example/""#), "{path}");
        assert!(
            html.contains(r#"src="https://news.example/logo.svg""#),
            "{path}"
        );
        assert!(html.contains("#c0392b"), "{path}: the accent colour");
    }

    let reader = unique_email();
    assert_eq!(app.signup(&reader, &["daily"]).await.status(), 202);
    let mail = &wait_for_emails(&reader, 1).await[0];
    assert_eq!(
        mail["from"][0]["name"], "Полтавські новини",
        "{}",
        mail["from"]
    );
    for part in ["text", "html"] {
        let body = mail[part].as_str().unwrap();
        assert!(body.contains("Полтавські новини"), "{part}: {body}");
        assert!(!body.contains("Herald"), "{part}: {body}");
    }

    // A digest's footer and List-Id name the publication.
    let subscriber = unique_email();
    add_confirmed(&app, "daily", &subscriber).await;
    add_item(&app, "Rates rise", "https://news.example/rates", "").await;
    let r = app
        .client
        .post(app.url("/api/admin/newsletters/daily/digests"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let digest = &wait_for_emails(&subscriber, 1).await[0];
    let text = digest["text"].as_str().unwrap();
    assert!(
        text.contains("You receive Daily from Полтавські новини because you subscribed to it."),
        "{text}"
    );
    let list_id = digest["headers"]["list-id"].as_str().unwrap();
    assert!(list_id.contains("<daily."), "{list_id}");
    assert!(!list_id.contains("Herald"), "{list_id}");
}

#[tokio::test]
async fn a_deployment_rewords_a_message_and_keeps_the_rest() {
    let dir = std::env::temp_dir().join(format!("herald-locales-{}", random_hex(8)));
    std::fs::create_dir_all(dir.join("locales/uk")).unwrap();
    std::fs::write(
        dir.join("locales/uk/herald.ftl"),
        "signup-button = Хочу читати\n",
    )
    .unwrap();
    let app = spawn_app_with(&[("templates_dir", dir.to_str().unwrap()), ("language", "uk")]).await;
    app.add_newsletter("daily", "Daily").await;
    let html = app
        .client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Хочу читати"), "{html}");
    assert!(
        !html.contains(">Підписатися<"),
        "the override replaced the button"
    );
    assert!(
        html.contains("Введіть свою електронну адресу"),
        "the rest stays"
    );
    // English is untouched.
    let en = app
        .client
        .get(app.url("/"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains(">Subscribe<"), "{en}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn bad_site_settings_stop_the_start_with_the_reason() {
    use herald::config::Config;
    for (key, value) in [
        ("site_url", "javascript:alert(1)"),
        ("logo_url", "not a url"),
        ("accent_color", "red;}body{display:none"),
        ("language", "fr"),
        ("site_name", "two\nlines"),
    ] {
        let values = [(key.to_string(), value.to_string())].into_iter().collect();
        let e = Config::from_values(&values).unwrap_err();
        assert!(format!("{e:#}").contains(key), "{key}: {e:#}");
    }
    let _ = json!(null);
}
