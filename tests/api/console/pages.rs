//! The console's pages: escaping, bad input, feeds, newsletters.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;
use crate::helpers::{spawn_app, unique_email};

#[tokio::test]
async fn what_subscribers_and_feeds_wrote_is_shown_as_text() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily <i>briefing</i>").await;
    let email = unique_email();
    let r = app
        .client
        .post(app.url("/api/admin/newsletters/daily/subscribers"))
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({
            "email": email, "name": "<script>alert(1)</script>",
            "status": "confirmed", "consent": "test"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let admin = signed_in(&app).await;
    let r = get(&app, "/admin/newsletters/daily/subscribers", &admin.cookie).await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("Daily &lt;i&gt;briefing&lt;/i&gt;"));
    // The only script on any console page is our own file.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script src=\"/admin/static/console.js\" defer></script>"));

    // The address's history escapes it too.
    let r = get(
        &app,
        &format!("/admin/subscribers?email={}", email.replace('@', "%40")),
        &admin.cookie,
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        html.contains("Consent log") && html.contains(">test<"),
        "{html}"
    );
}

#[tokio::test]
async fn bad_console_input_gets_a_clear_4xx() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    app.add_newsletter("daily", "Daily").await;
    for (path, status) in [
        ("/admin/digests/abc", 404),
        ("/admin/digests/999999", 404),
        ("/admin/digests/999999/progress", 404),
        ("/admin/newsletters/nope", 404),
        ("/admin/newsletters/nope/digest", 404),
        ("/admin/newsletters/daily/subscribers?status=bogus", 400),
        ("/admin/newsletters/daily/subscribers?after=-3", 400),
        ("/admin/subscribers?email=not-an-address", 422),
    ] {
        let r = get(&app, path, &admin.cookie).await;
        assert_eq!(r.status(), status, "{path}");
        assert!(
            r.text().await.unwrap().contains("Back to the console"),
            "{path}"
        );
    }
    let r = get(&app, "/admin/no-such-page", &admin.cookie).await;
    assert_eq!(r.status(), 404);
    let here = origin(&app);
    let r = app
        .client
        .post(app.url("/admin/newsletters"))
        .header("Cookie", &admin.cookie)
        .header("Origin", &here)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("slug=%ZZ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = post(
        &app,
        "/admin/newsletters",
        &admin.cookie,
        Some(&here),
        &[("slug", "Not A Slug"), ("name", "x"), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
    let r = post(
        &app,
        "/admin/newsletters",
        &admin.cookie,
        Some(&here),
        &[("slug", "daily"), ("name", "Again"), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 409);
    let r = post(
        &app,
        "/admin/digests/1/explode",
        &admin.cookie,
        Some(&here),
        &[("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .delete(app.url("/admin/newsletters"))
        .header("Cookie", &admin.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn feeds_and_items_are_added_shown_and_removed_with_the_last_error() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let r = post(
        &app,
        "/admin/feed-items",
        &admin.cookie,
        Some(&here),
        &[
            ("title", "Item <b>one</b>"),
            ("url", "https://example.com/one"),
            (
                "summary",
                "A summary with <img src=x onerror=alert(1)> in it",
            ),
            ("newsletter", "daily"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Item added."), "{html}");
    assert!(!html.contains("<img src=x"), "feed text is never markup");
    let r = post(
        &app,
        "/admin/feed-items",
        &admin.cookie,
        Some(&here),
        &[
            ("title", "x"),
            ("url", "javascript:alert(1)"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 422, "only http, https and mailto links");

    // A feed on a private address fails its poll; the page says why.
    let r = post(
        &app,
        "/admin/feeds/add",
        &admin.cookie,
        Some(&here),
        &[
            ("url", "http://127.0.0.1:9/feed.xml"),
            ("interval_minutes", "1"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    let feed = loop {
        let feeds = app.store.list_feeds().await.unwrap();
        if let Some(f) = feeds.into_iter().find(|f| f.last_error.is_some()) {
            break f;
        }
        assert!(Instant::now() < deadline, "the feed was never polled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let error = feed.last_error.clone().unwrap();
    let html = get(&app, "/admin/feeds", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    let shown = html_escape::encode_quoted_attribute(&error).to_string();
    assert!(html.contains(&shown), "{error} in {html}");

    let r = post(
        &app,
        &format!("/admin/feeds/{}/delete", feed.id),
        &admin.cookie,
        Some(&here),
        &[("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(app.store.list_feeds().await.unwrap().is_empty());
    let items = app.store.list_items(10, None).await.unwrap().items;
    assert_eq!(items.len(), 1);
    let r = post(
        &app,
        &format!("/admin/feed-items/{}/delete", items[0].id),
        &admin.cookie,
        Some(&here),
        &[("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(app
        .store
        .list_items(10, None)
        .await
        .unwrap()
        .items
        .is_empty());
}

#[tokio::test]
async fn a_newsletter_is_edited_and_archived_and_its_embed_snippet_is_escaped() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily \"quotes\" & <tags>")
        .await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let html = get(&app, "/admin/newsletters/daily", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    // The snippet is shown as text: escaped once for the page, so that what
    // an admin copies is itself well-escaped HTML.
    assert!(
        html.contains("&lt;form data-herald lang=&quot;en&quot;")
            && html.contains("method=&quot;post&quot; action=&quot;http://127.0.0.1"),
        "{html}"
    );
    assert!(html.contains(
        "aria-label=&quot;Daily &amp;quot;quotes&amp;quot; &amp;amp; &amp;lt;tags&amp;gt;&quot;"
    ));

    let r = post(
        &app,
        "/admin/newsletters/daily",
        &admin.cookie,
        Some(&here),
        &[
            ("name", "Daily"),
            ("from_address", "not an address"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
    let r = post(
        &app,
        "/admin/newsletters/daily",
        &admin.cookie,
        Some(&here),
        &[
            ("name", "Daily briefing"),
            ("description", "Every morning"),
            ("from_name", "The Desk"),
            ("from_address", "desk@news.example"),
            ("csrf", &admin.csrf),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let n: Value = app
        .admin_get("/api/admin/newsletters/daily")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(n["name"], "Daily briefing");
    assert_eq!(n["from_address"], "desk@news.example");
    assert_eq!(n["reply_to"], Value::Null, "an empty field clears");

    let r = post(
        &app,
        "/admin/newsletters/daily/archive",
        &admin.cookie,
        Some(&here),
        &[("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(!newsletter_exists(&app, "daily").await);
    assert_eq!(
        get(&app, "/admin/newsletters/daily", &admin.cookie)
            .await
            .status(),
        404
    );
}
