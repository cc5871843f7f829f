//! The public pages and `/health`.

use crate::helpers::{spawn_app, unique_email};

#[tokio::test]
async fn health_is_ok_and_503_without_a_database() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"status": "ok"})
    );

    app.store.close().await;
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn index_shows_every_newsletter_with_a_form() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    app.add_newsletter("weekly", "Weekly <review>").await;
    let r = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("Daily briefing"));
    assert!(html.contains("Weekly &lt;review&gt;"), "names are escaped");
    assert!(!html.contains("Weekly <review>"));
    assert_eq!(
        html.matches("action=\"&#x2f;subscriptions\"").count()
            + html.matches("action=\"/subscriptions\"").count(),
        2
    );
    assert!(html.contains("name=\"website\""), "honeypot field present");
    assert!(html.contains("Enter your email to subscribe"));
}

#[tokio::test]
async fn newsletter_page_and_unknown_slug() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let r = app
        .client
        .get(app.url("/newsletters/daily"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Daily briefing") && html.contains("value=\"daily\""));

    let r = app
        .client
        .get(app.url("/newsletters/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Newsletter not found"));
}

#[tokio::test]
async fn pending_page_thanks_the_reader() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/subscriptions/pending"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Thank you for signing up"));
    assert!(
        html.contains("We've sent you a confirmation email")
            || html.contains("We&#x27;ve sent you a confirmation email")
    );
}

#[tokio::test]
async fn head_answers_without_a_body() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    for path in [
        "/",
        "/newsletters/daily",
        "/subscriptions/pending",
        "/health",
    ] {
        let r = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.bytes().await.unwrap().is_empty(), "{path}");
    }
}

#[tokio::test]
async fn form_signup_redirects_to_the_pending_page() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let email = unique_email();
    let r = app
        .post_form(
            "/subscriptions",
            &format!(
                "email={}&newsletter=daily&website=",
                email.replace('@', "%40")
            ),
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/subscriptions/pending");
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );
}

#[tokio::test]
async fn a_bad_address_on_the_index_form_shows_the_index_again_with_the_message() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    app.add_newsletter("weekly", "Weekly review").await;
    let r = app
        .post_form(
            "/subscriptions",
            "email=oops%40nowhere&newsletter=weekly&page=index&website=",
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Daily briefing") && html.contains("Weekly review"));
    assert_eq!(
        html.matches("Please, enter correct email address").count(),
        1
    );
    assert!(html.contains("value=\"oops@nowhere\""));
    assert!(html.contains("aria-describedby=\"email-weekly-error\""));
}
