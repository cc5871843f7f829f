//! `return_to`: a form signup goes back to the news site's page, and only
//! to an allowed origin's; Herald is never an open redirect.

use super::*;
use crate::helpers::unique_email;

async fn form_signup(app: &TestApp, return_to: &str) -> reqwest::Response {
    let email = unique_email();
    post(
        app,
        None,
        "application/x-www-form-urlencoded",
        form(&[
            ("email", &email),
            ("newsletter", "daily"),
            ("return_to", return_to),
        ]),
    )
    .await
}

#[tokio::test]
async fn a_return_to_on_an_allowed_origin_is_followed() {
    let app = news_app().await;
    let own = format!("{}/newsletters/daily", app.address);
    let cases = [
        (
            "https://news.example/2026/12/04/story",
            "https://news.example/2026/12/04/story?herald=pending".to_string(),
        ),
        (
            "https://news.example/story?id=7&utm_source=x#newsletters",
            "https://news.example/story?id=7&utm_source=x&herald=pending#newsletters".to_string(),
        ),
        (
            "https://news.example/story?herald=old",
            "https://news.example/story?herald=pending".to_string(),
        ),
        (
            "HTTPS://NEWS.EXAMPLE/Story",
            "https://news.example/Story?herald=pending".to_string(),
        ),
        (
            "https://news.example:443/",
            "https://news.example/?herald=pending".to_string(),
        ),
        (
            "http://127.0.0.1:8000/article.html",
            "http://127.0.0.1:8000/article.html?herald=pending".to_string(),
        ),
        (own.as_str(), format!("{own}?herald=pending")),
    ];
    for (return_to, expected) in cases {
        let r = form_signup(&app, return_to).await;
        assert_eq!(r.status(), 303, "{return_to}");
        assert_eq!(
            header(&r, "location").as_deref(),
            Some(expected.as_str()),
            "{return_to}"
        );
    }
}

#[tokio::test]
async fn every_other_return_to_is_ignored() {
    let app = news_app().await;
    let tricks = [
        "//evil.example",
        "//evil.example/https://news.example/",
        "/\\evil.example",
        "https://news.example.evil.example/",
        "https://evil.example/https://news.example/",
        "https://evil.example/?u=https://news.example",
        "javascript:alert(1)",
        "JAVASCRIPT:alert(document.domain)//https://news.example/",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://news.example@evil.example/",
        "https://news.example:443@evil.example/",
        "https://evil.example\\@news.example/",
        "https://evil.example\\.news.example/",
        "https://evil.example%5c@news.example/",
        "https://evil.example%2f@news.example/",
        "https%3A%2F%2Fevil.example",
        "https%3a//evil.example",
        "https://evil%2eexample/",
        "https://news.example%2eevil.example/",
        "https://news.example%40evil.example/",
        "\thttps://evil.example",
        "https://evil.example\t/",
        "https://news.exa\tmple.evil.example/",
        "https://news.example\n.evil.example/",
        "https://news.example\r\nLocation: https://evil.example/",
        "java\tscript:alert(1)",
        "https:evil.example",
        "https:/evil.example",
        "https:///evil.example",
        "http://news.example/",
        "https://news.example:8443/",
        "https://news.example:80/",
        "http://127.0.0.1:8001/",
        "ftp://news.example/",
        "https://NEWS.example.evil.example/",
        "https://xn--news-example.evil.example/",
    ];
    for trick in tricks {
        let r = form_signup(&app, trick).await;
        assert_eq!(r.status(), 303, "{trick:?}");
        assert_eq!(
            header(&r, "location").as_deref(),
            Some("/subscriptions/pending"),
            "{trick:?}"
        );
    }
}

#[tokio::test]
async fn a_refused_address_with_return_to_gets_its_page_back() {
    let app = news_app().await;
    let r = post(
        &app,
        Some(NEWS),
        "application/x-www-form-urlencoded",
        form(&[
            ("email", "not-an-address"),
            ("newsletter", "daily"),
            ("return_to", "https://news.example/story"),
        ]),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Please, enter correct email address"));
    assert_eq!(stored(&app).await, (0, 0));
}

#[tokio::test]
async fn json_signups_ignore_return_to() {
    let app = news_app().await;
    let body = serde_json::json!({
        "email": unique_email(),
        "newsletter": "daily",
        "return_to": "https://news.example/story",
    });
    let r = post(&app, Some(NEWS), "application/json", body.to_string()).await;
    assert_eq!(r.status(), 202);
    assert_eq!(header(&r, "location"), None);
}
