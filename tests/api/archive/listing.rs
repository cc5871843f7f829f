//! Which digests an archive shows: sent ones, newest first, a page at a
//! time; never one still going out, nor another newsletter's.

use reqwest::Method;
use serde_json::{json, Value};

use super::{atom, get};
use crate::helpers::{
    add_confirmed, add_item, admin, free_port, send_digest, spawn_app, spawn_app_with, unique_email,
};

/// Sends a digest of one new item; with no reader it is sent at once.
async fn digest_of(app: &crate::helpers::TestApp, slug: &str, title: &str) -> i64 {
    add_item(app, title, "https://news.example/x", "").await;
    let r = send_digest(app, slug, None).await;
    assert_eq!(r.status(), 202);
    let d: Value = r.json().await.unwrap();
    d["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_archive_shows_sent_digests_only_and_each_under_its_own_newsletter() {
    // SMTP is down: a digest with a reader stays queued.
    let port = free_port();
    let app = spawn_app_with(&[("smtp_url", &format!("smtp://127.0.0.1:{port}"))]).await;
    app.add_newsletter("daily", "Daily").await;
    app.add_newsletter("weekly", "Weekly").await;
    add_confirmed(&app, "daily", &unique_email()).await;
    let sent = digest_of(&app, "weekly", "Sent story").await;
    let queued = digest_of(&app, "daily", "Queued story").await;

    let (status, daily) = get(&app, "/newsletters/daily/archive").await;
    assert_eq!(status, 200);
    assert!(!daily.contains(&format!("/archive/{queued}\"")) && !daily.contains("<article"));
    assert!(daily.contains("No issues have been sent yet"));
    assert!(atom(&app, "/newsletters/daily/archive.atom")
        .await
        .entries
        .is_empty());
    let (status, weekly) = get(&app, "/newsletters/weekly/archive").await;
    assert_eq!(status, 200);
    assert!(weekly.contains(&format!("href=\"/newsletters/weekly/archive/{sent}\"")));
    assert_eq!(
        atom(&app, "/newsletters/weekly/archive.atom")
            .await
            .entries
            .len(),
        1
    );

    assert_eq!(
        get(&app, &format!("/newsletters/weekly/archive/{sent}"))
            .await
            .0,
        200
    );
    for path in [
        format!("/newsletters/daily/archive/{queued}"),
        format!("/newsletters/daily/archive/{sent}"),
        format!("/newsletters/weekly/archive/{queued}"),
        "/newsletters/weekly/archive/999999".to_string(),
        "/newsletters/weekly/archive/abc".to_string(),
        "/newsletters/weekly/archive/-1".to_string(),
        "/newsletters/weekly/archive/99999999999999999999".to_string(),
        "/newsletters/nope/archive".to_string(),
        "/newsletters/nope/archive.atom".to_string(),
        format!("/newsletters/nope/archive/{sent}"),
    ] {
        assert_eq!(get(&app, &path).await.0, 404, "{path}");
    }
    let r = app
        .client
        .delete(app.url(&format!("/newsletters/weekly/archive/{sent}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
}

#[tokio::test]
async fn the_archive_pages_twenty_digests_newest_first() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let mut ids = Vec::new();
    for i in 0..21 {
        ids.push(digest_of(&app, "daily", &format!("Story {i}")).await);
    }
    let (status, first) = get(&app, "/newsletters/daily/archive").await;
    assert_eq!(status, 200);
    assert_eq!(first.matches("<article").count(), 20);
    let at = |html: &str, id: i64| html.find(&format!("/archive/{id}\"")).unwrap();
    assert!(at(&first, ids[20]) < at(&first, ids[19]), "newest first");
    assert!(!first.contains(&format!("/archive/{}\"", ids[0])));
    assert!(first.contains("href=\"/newsletters/daily/archive?page=2\""));
    assert!(
        first.contains("type=\"application/atom+xml\" href=\"/newsletters/daily/archive.atom\"")
    );

    let (status, second) = get(&app, "/newsletters/daily/archive?page=2").await;
    assert_eq!(status, 200);
    assert_eq!(second.matches("<article").count(), 1);
    assert!(second.contains(&format!("/archive/{}\"", ids[0])) && second.contains("Story 0"));
    assert!(!second.contains("?page=3"));
    assert_eq!(get(&app, "/newsletters/daily/archive?page=3").await.0, 404);
    assert_eq!(get(&app, "/newsletters/daily/archive?page=x").await.0, 400);
    assert_eq!(get(&app, "/newsletters/daily/archive?page=0").await.0, 400);
}

#[tokio::test]
async fn a_newsletter_without_a_public_archive_answers_404_for_all_three() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let id = digest_of(&app, "daily", "Story").await;
    let paths = [
        "/newsletters/daily/archive".to_string(),
        format!("/newsletters/daily/archive/{id}"),
        "/newsletters/daily/archive.atom".to_string(),
    ];
    for path in &paths {
        assert_eq!(get(&app, path).await.0, 200, "{path}");
    }
    let link = "href=\"/newsletters/daily/archive\"";
    let (_, index) = get(&app, "/").await;
    assert!(index.contains(link) && index.contains("href=\"/news\""));
    assert!(get(&app, "/newsletters/daily").await.1.contains(link));
    let r = admin(
        &app,
        Method::PATCH,
        "/api/admin/newsletters/daily",
        Some(json!({"public_archive": false})),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    for path in &paths {
        let (status, body) = get(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("Story"), "{path}");
    }
    // The newsletter's own pages stay, without a link to an archive.
    let (status, page) = get(&app, "/newsletters/daily").await;
    assert_eq!(status, 200);
    assert!(!page.contains(link));
    assert!(!get(&app, "/").await.1.contains(link));
}

#[tokio::test]
async fn a_ukrainian_newsletter_has_its_archive_in_ukrainian() {
    let app = spawn_app().await;
    app.add_newsletter("ranok", "Ранок").await;
    let r = admin(
        &app,
        Method::PATCH,
        "/api/admin/newsletters/ranok",
        Some(json!({"language": "uk"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let id = digest_of(&app, "ranok", "Новина").await;
    let (status, list) = get(&app, "/newsletters/ranok/archive").await;
    assert_eq!(status, 200);
    assert!(list.contains("Архів розсилки «Ранок»"), "{list}");
    assert!(list.contains("Підписатися на «Ранок»"));
    let (_, copy) = get(&app, &format!("/newsletters/ranok/archive/{id}")).await;
    assert!(copy.contains("Усі випуски «Ранок»"), "{copy}");
    assert!(
        ["січня", "лютого", "грудня", "листопада"]
            .iter()
            .any(|m| copy.contains(m)),
        "the date in Ukrainian: {copy}"
    );
    let feed = atom(&app, "/newsletters/ranok/archive.atom").await;
    assert_eq!(feed.language.as_deref(), Some("uk"));
    // A page that doesn't exist answers in the newsletter's language too.
    let (status, past) = get(&app, "/newsletters/ranok/archive?page=2").await;
    assert_eq!(status, 404);
    assert!(past.contains("Такої сторінки немає"), "{past}");
}
