//! `/news` a page at a time with "More news", and `/news.atom`.

use chrono::{Duration, Utc};
use serde_json::json;

use super::{atom, get, link};
use crate::helpers::{admin_post, spawn_app};

/// `n` items, item 0 the oldest, an hour apart; and one embargoed until
/// tomorrow.
async fn items(app: &crate::helpers::TestApp, n: i64) {
    let start = Utc::now() - Duration::hours(n + 1);
    for i in 0..n {
        let r = admin_post(
            app,
            "/api/admin/feed-items",
            json!({
                "title": format!("Story {i} &lt;b&gt;"),
                "url": format!("https://news.example/story/{i}?a=1&b=2"),
                "summary": format!("Summary of story {i}"),
                "published_at": start + Duration::hours(i),
            }),
        )
        .await;
        assert_eq!(r.status(), 201);
    }
    let r = admin_post(
        app,
        "/api/admin/feed-items",
        json!({"title": "Embargoed", "url": "https://news.example/later",
               "published_at": Utc::now() + Duration::days(1)}),
    )
    .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn news_shows_twenty_items_a_page_newest_first_with_more_news() {
    let app = spawn_app().await;
    let (status, html) = get(&app, "/news").await;
    assert_eq!(status, 200);
    assert!(html.contains("no news yet") && !html.contains("More news"));

    items(&app, 25).await;
    let (status, first) = get(&app, "/news").await;
    assert_eq!(status, 200);
    assert_eq!(first.matches("<article").count(), 20);
    assert!(first.find("Story 24 &lt;b&gt;") < first.find("Story 23 &lt;b&gt;"));
    assert!(!first.contains("<b>"), "titles are escaped");
    assert!(first.contains("href=\"https://news.example/story/24?a=1&amp;b=2\""));
    assert!(first.contains("Summary of story 24") && !first.contains("Story 4 "));
    assert!(!first.contains("Embargoed"), "not published yet");
    assert!(first.contains("<time datetime=\""));
    assert!(
        first.contains("href=\"/news?page=2\""),
        "More news links on"
    );
    assert!(first.contains("More news"));
    assert!(
        first.contains("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/news.atom\"")
    );

    let (status, second) = get(&app, "/news?page=2").await;
    assert_eq!(status, 200);
    assert_eq!(second.matches("<article").count(), 5);
    assert!(second.contains("Story 4 &lt;b&gt;") && second.contains("Story 0 &lt;b&gt;"));
    assert!(!second.contains("More news"), "the last page");

    assert_eq!(get(&app, "/news?page=3").await.0, 404);
    for bad in ["0", "-1", "abc", "1.5", "", "1001", "99999999999"] {
        assert_eq!(
            get(&app, &format!("/news?page={bad}")).await.0,
            400,
            "{bad}"
        );
    }
    let r = app.client.post(app.url("/news")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
}

#[tokio::test]
async fn news_atom_is_a_valid_feed_of_the_latest_items() {
    let app = spawn_app().await;
    let empty = atom(&app, "/news.atom").await;
    assert!(empty.entries.is_empty());

    items(&app, 55).await;
    let feed = atom(&app, "/news.atom").await;
    assert_eq!(feed.id, app.url("/news"));
    assert_eq!(link(&feed.links, "self"), app.url("/news.atom"));
    assert_eq!(link(&feed.links, "alternate"), app.url("/news"));
    assert_eq!(feed.entries.len(), 50);
    let newest = &feed.entries[0];
    assert_eq!(newest.title.as_ref().unwrap().content, "Story 54 <b>");
    assert_eq!(
        link(&newest.links, "alternate"),
        "https://news.example/story/54?a=1&b=2"
    );
    assert_eq!(
        newest.summary.as_ref().unwrap().content,
        "Summary of story 54"
    );
    assert!(newest.id.starts_with("tag:127.0.0.1,"), "{}", newest.id);
    assert!(newest.published.is_some() && newest.updated.is_some());
    assert_eq!(feed.updated, newest.updated);
    let mut ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50, "ids are unique");
    assert!(feed
        .entries
        .iter()
        .all(|e| e.title.as_ref().unwrap().content != "Embargoed"));
}

#[tokio::test]
async fn news_follows_the_readers_language() {
    let app = spawn_app().await;
    items(&app, 21).await;
    let r = app
        .client
        .get(app.url("/news"))
        .header("Accept-Language", "uk-UA,uk;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Стрічка новин") && html.contains("Більше новин"),
        "{html}"
    );
    let (_, en) = get(&app, "/news").await;
    assert!(en.contains("News Feed") && en.contains("More news"));
}
