//! Polling: RSS and Atom entries arrive once each, a broken feed records its
//! error while the rest go on, and concurrent claims never share a feed.

use chrono::Utc;
use reqwest::Method;
use serde_json::{json, Value};

use herald::store::{NewFeed, Store};

use crate::helpers::{admin, spawn_app_with, TestDb};

use super::*;

#[tokio::test]
async fn rss_and_atom_entries_arrive_once_each() {
    let app = spawn_app_with(&[("feeds_allow_private", "true")]).await;
    app.add_newsletter("daily", "Daily").await;
    let server = FeedServer::start().await;
    let first = [
        (
            "Wire one",
            "https://wire.example/1",
            Some("wire-1"),
            "One &amp; only",
        ),
        // No GUID: the link identifies it.
        (
            "Wire two",
            "https://wire.example/2",
            None,
            "&lt;p&gt;Two&lt;/p&gt;",
        ),
    ];
    server.set("/rss", Reply::Body(200, rss(&first)));
    server.set("/atom", Reply::Body(200, ATOM.to_string()));

    let r = admin(
        &app,
        Method::POST,
        "/api/admin/feeds",
        Some(json!({"url": server.url("/rss"), "newsletters": ["daily"], "interval_secs": 1})),
    )
    .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["url"], server.url("/rss"));
    assert_eq!(created["newsletters"], json!(["daily"]));
    assert_eq!(created["interval_secs"], 1);
    for key in ["id", "last_polled_at", "last_error", "created_at"] {
        assert!(created.get(key).is_some(), "{key} in {created}");
    }
    let rss_id = created["id"].as_i64().unwrap();
    let atom_id = add_feed(&app, &server.url("/atom"), &[]).await;

    let all = wait_titles(&app, &["Wire one", "Wire two", "Atom one", "Atom two"]).await;
    let item = |title: &str| all.iter().find(|i| i["title"] == title).unwrap().clone();
    assert_eq!(item("Wire one")["summary"], "One & only");
    assert_eq!(item("Wire two")["summary"], "Two");
    assert_eq!(item("Wire two")["url"], "https://wire.example/2");
    assert_eq!(item("Wire one")["newsletters"], json!(["daily"]));
    assert_eq!(item("Wire one")["feed_id"], rss_id);
    assert_eq!(item("Atom one")["newsletters"], json!([]));
    assert_eq!(item("Atom one")["feed_id"], atom_id);
    assert_eq!(item("Atom two")["summary"], "Second entry");
    assert_eq!(item("Atom two")["url"], "https://desk.example/2");

    // Several more polls of the same documents add nothing.
    wait_polls(&app, &[rss_id, atom_id], 2).await;
    let all = items(&app).await;
    assert_eq!(all.len(), 4, "{all:#?}");

    // A new entry arrives once, the old ones stay single.
    let mut more = first.to_vec();
    more.insert(
        0,
        ("Wire three", "https://wire.example/3", Some("wire-3"), ""),
    );
    server.set("/rss", Reply::Body(200, rss(&more)));
    wait_titles(&app, &["Wire three"]).await;
    wait_polls(&app, &[rss_id], 2).await;
    let all = items(&app).await;
    for t in ["Wire one", "Wire two", "Wire three", "Atom one", "Atom two"] {
        assert_eq!(count(&all, t), 1, "{t}");
    }
    for id in [rss_id, atom_id] {
        let f = feed(&app, id).await;
        assert_eq!(f["last_error"], Value::Null, "{f}");
    }
    let r = admin(&app, Method::GET, "/api/admin/feeds", None).await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    let ids: Vec<i64> = list["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [rss_id, atom_id]);

    // Deleting a feed keeps its items.
    let r = admin(
        &app,
        Method::DELETE,
        &format!("/api/admin/feeds/{rss_id}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    let r = admin(
        &app,
        Method::GET,
        &format!("/api/admin/feeds/{rss_id}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(count(&items(&app).await, "Wire three"), 1);
}

#[tokio::test]
async fn broken_feeds_record_their_error_and_the_rest_go_on() {
    let app = spawn_app_with(&[
        ("feeds_allow_private", "true"),
        ("feed_timeout", "2s"),
        ("feed_max_bytes", "64KiB"),
    ])
    .await;
    let server = FeedServer::start().await;
    server.set(
        "/good",
        Reply::Body(
            200,
            rss(&[("Good one", "https://g.example/1", Some("g1"), "")]),
        ),
    );
    server.set("/moved", Reply::Redirect("/good2".to_string()));
    server.set(
        "/good2",
        Reply::Body(
            200,
            rss(&[("Moved one", "https://g.example/m", Some("m1"), "")]),
        ),
    );
    server.set("/500", Reply::Body(500, "oops".to_string()));
    server.set(
        "/garbage",
        Reply::Body(200, "this is not { xml <<< at all".to_string()),
    );
    server.set(
        "/html",
        Reply::Body(
            200,
            "<!doctype html><html><body><p>a page</p></body></html>".to_string(),
        ),
    );
    let big = format!(
        "<rss version=\"2.0\"><channel><title>{}</title></channel></rss>",
        "x".repeat(100 * 1024)
    );
    server.set("/big", Reply::Body(200, big.clone()));
    server.set("/big-unsized", Reply::Unsized(big));
    server.set("/loop", Reply::Redirect("/loop".to_string()));
    server.set("/slow", Reply::Hang);

    let good = add_feed(&app, &server.url("/good"), &[]).await;
    let moved = add_feed(&app, &server.url("/moved"), &[]).await;
    let broken = [
        ("/500", "500"),
        ("/garbage", "not an rss or atom feed"),
        ("/html", "not an rss or atom feed"),
        ("/big", "larger than 65536 bytes"),
        ("/big-unsized", "larger than 65536 bytes"),
        ("/loop", "redirects"),
        ("/slow", "timed out"),
        ("/missing", "404"),
    ];
    let mut broken_ids = Vec::new();
    for (path, _) in broken {
        broken_ids.push(add_feed(&app, &server.url(path), &[]).await);
    }

    for ((path, expected), id) in broken.iter().zip(&broken_ids) {
        let f = wait_for("the error", || async {
            let f = feed(&app, *id).await;
            f["last_error"].is_string().then_some(f)
        })
        .await;
        let error = f["last_error"].as_str().unwrap().to_lowercase();
        assert!(error.contains(expected), "{path}: {error}");
        assert!(polled_at(&f).is_some(), "{f}");
    }
    wait_titles(&app, &["Good one", "Moved one"]).await;

    // The good feeds keep being ingested next to the broken ones.
    server.set(
        "/good",
        Reply::Body(
            200,
            rss(&[
                ("Good two", "https://g.example/2", Some("g2"), ""),
                ("Good one", "https://g.example/1", Some("g1"), ""),
            ]),
        ),
    );
    wait_titles(&app, &["Good two"]).await;
    for id in [good, moved] {
        assert_eq!(feed(&app, id).await["last_error"], Value::Null);
    }
    // Broken feeds are still polled, and still say why.
    wait_polls(&app, &broken_ids[..2], 1).await;
    assert!(feed(&app, broken_ids[0]).await["last_error"].is_string());
    assert_eq!(items(&app).await.len(), 3);
}

/// Several processes claim from one database: no feed is handed to two of
/// them, and a claim lasts until its lease runs out.
#[tokio::test]
async fn concurrent_claims_never_share_a_feed() {
    let db = TestDb::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let now = Utc::now();
    for i in 0..40 {
        let feed = NewFeed {
            url: format!("http://feeds.invalid/{i}"),
            interval_secs: 60,
            newsletter_ids: Vec::new(),
        };
        store.add_feed(&feed, now).await.unwrap();
    }
    let lease_until = now + chrono::Duration::minutes(5);
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_feeds(now, lease_until, 4).await.unwrap() })
        })
        .collect();
    let mut seen = Vec::new();
    for c in claims {
        seen.extend(c.await.unwrap().into_iter().map(|f| f.id));
    }
    assert!(!seen.is_empty() && seen.len() <= 32, "{seen:?}");
    let rest = store.claim_feeds(now, lease_until, 100).await.unwrap();
    seen.extend(rest.into_iter().map(|f| f.id));
    seen.sort_unstable();
    let all: Vec<i64> = store
        .list_feeds()
        .await
        .unwrap()
        .iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(seen, all, "each feed claimed exactly once");
    assert!(store
        .claim_feeds(now, lease_until, 100)
        .await
        .unwrap()
        .is_empty());
    // A claim whose process died is taken again once the lease is over.
    let after = lease_until + chrono::Duration::seconds(1);
    let again = store
        .claim_feeds(after, after + chrono::Duration::minutes(5), 100)
        .await
        .unwrap();
    assert_eq!(again.len(), 40);
    store.close().await;
}
