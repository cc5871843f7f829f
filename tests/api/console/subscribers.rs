//! The console's subscriber pages: search, filters, paging, unsubscribe,
//! erase and export; the CSV import's token header and origin check.

use serde_json::Value;

use super::*;
use crate::helpers::{spawn_app, unique_email};

#[tokio::test]
async fn subscribers_are_searched_filtered_paged_unsubscribed_and_erased() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let tag = crate::helpers::random_hex(8);
    for i in 0..55 {
        let r = app
            .client
            .post(app.url("/api/admin/newsletters/daily/subscribers"))
            .bearer_auth(&app.admin_token)
            .json(&serde_json::json!({
                "email": format!("p{i:02}-{tag}@example.com"),
                "status": "confirmed", "consent": "test"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let page = |q: String| {
        let app = &app;
        let cookie = admin.cookie.clone();
        async move {
            let r = get(
                app,
                &format!("/admin/newsletters/daily/subscribers?{q}"),
                &cookie,
            )
            .await;
            assert_eq!(r.status(), 200, "{q}");
            r.text().await.unwrap()
        }
    };
    let first = page(String::new()).await;
    assert_eq!(
        first.matches("<tr>").count(),
        50 + 1,
        "a header row and 50 rows"
    );
    let next = "subscribers?q=&amp;status=&amp;after=";
    assert!(first.contains(next), "a next page link");
    let start = first.find(next).unwrap() + next.len();
    let cursor: String = first[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let second = page(format!("after={cursor}")).await;
    assert_eq!(second.matches("<tr>").count(), 5 + 1);
    assert!(second.contains(&format!("p54-{tag}")));

    // Search is by part of the address, case-insensitive; `%` is literal.
    let found = page(format!("q=P07-{tag}")).await;
    assert_eq!(found.matches("<tr>").count(), 2, "{found}");
    let none = page("q=%25".to_string()).await;
    assert!(none.contains("No subscriber matches."));

    let victim = format!("p07-{tag}@example.com");
    let r = post(
        &app,
        "/admin/newsletters/daily/subscribers/unsubscribe",
        &admin.cookie,
        Some(&here),
        &[("email", &victim), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.status_of("daily", &victim).await.as_deref(),
        Some("unsubscribed")
    );
    let html = get(&app, "/admin", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Signups (55)"), "{html}");
    assert!(html.contains("Unsubscribes (1)"));
    assert!(html.contains("<strong data-count=\"unsubscribed\">1</strong>"));
    let filtered = page("status=unsubscribed".to_string()).await;
    assert_eq!(filtered.matches("<tr>").count(), 2);
    assert!(filtered.contains(&victim));

    let r = post(
        &app,
        "/admin/subscribers/erase",
        &admin.cookie,
        Some(&here),
        &[("email", &victim), ("csrf", &admin.csrf)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Erased"));
    assert_eq!(app.status_of("daily", &victim).await, None);
    let r = get(
        &app,
        &format!("/admin/subscribers?email={}", victim.replace('@', "%40")),
        &admin.cookie,
    )
    .await;
    assert_eq!(r.status(), 404);

    // Export is the API's CSV.
    let r = get(
        &app,
        "/admin/newsletters/daily/subscribers/export",
        &admin.cookie,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 54);
}

#[tokio::test]
async fn a_csv_import_needs_the_token_header_and_the_same_origin() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let admin = signed_in(&app).await;
    let csv = format!("email,name\n{},Ann\n", unique_email());
    let import = |token: Option<&str>, origin: &str| {
        let mut req = app
            .client
            .post(app.url(
                "/admin/newsletters/daily/subscribers/import?confirmed=true&consent=paper+form",
            ))
            .header("Cookie", &admin.cookie)
            .header("Origin", origin)
            .header("Content-Type", "text/csv")
            .body(csv.clone());
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        req.send()
    };
    let r = import(None, &origin(&app)).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = import(Some(&admin.csrf), "http://evil.example")
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let listed: Value = app
        .admin_get("/api/admin/newsletters/daily/subscribers")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["subscribers"],
        serde_json::json!([]),
        "nothing imported"
    );
    // A refused file is explained in the API's JSON, for the page to show.
    let r = app
        .client
        .post(app.url("/admin/newsletters/daily/subscribers/import"))
        .header("Cookie", &admin.cookie)
        .header("Origin", origin(&app))
        .header("X-CSRF-Token", &admin.csrf)
        .header("Content-Type", "text/csv")
        .body("name,address\nAnn,ann@example.com\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_csv", "{body}");
    let r = import(Some(&admin.csrf), &origin(&app)).await.unwrap();
    assert_eq!(r.status(), 200);
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["imported"], 1, "{summary}");
}
