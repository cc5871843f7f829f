//! RSS and Atom feeds: polled into items once each, cleaned of HTML and
//! unsafe links, failures recorded on the feed, private addresses refused
//! unless allowed; the admin routes around them.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use herald::store::{NewFeed, Store};

use crate::helpers::{admin, spawn_app, spawn_app_with, TestApp, TestDb};

/// What the feed server answers on one path.
#[derive(Clone)]
enum Reply {
    Body(u16, String),
    Redirect(String),
    /// A body with no `Content-Length`: its size shows only as it arrives.
    Unsized(String),
    /// Never answers (until the client gives up).
    Hang,
}

/// A small HTTP server on 127.0.0.1:0 answering fixed replies per path,
/// which a test may change while Herald polls. It counts requests per path.
struct FeedServer {
    addr: SocketAddr,
    replies: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl FeedServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let replies: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let (r, h) = (replies.clone(), hits.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, r.clone(), h.clone()));
            }
        });
        FeedServer {
            addr,
            replies,
            hits,
        }
    }

    fn set(&self, path: &str, reply: Reply) {
        self.replies.lock().unwrap().insert(path.to_string(), reply);
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn total_hits(&self) -> usize {
        self.hits.lock().unwrap().values().sum()
    }
}

async fn serve(
    mut stream: tokio::net::TcpStream,
    replies: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let reply = replies.lock().unwrap().get(&path).cloned();
    let (status, extra, body) = match reply {
        Some(Reply::Body(status, body)) => (status, String::new(), body),
        Some(Reply::Redirect(to)) => (302, format!("Location: {to}\r\n"), String::new()),
        Some(Reply::Unsized(body)) => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
            return;
        }
        Some(Reply::Hang) => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        None => (404, String::new(), "not here".to_string()),
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// An RSS 2.0 document; each item is `(title, link, guid, description)`,
/// with the raw XML of each field.
fn rss(items: &[(&str, &str, Option<&str>, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, link, guid, description)| {
            let guid = guid.map(|g| format!("<guid isPermaLink=\"false\">{g}</guid>")).unwrap_or_default();
            format!("<item><title>{title}</title><link>{link}</link>{guid}<description>{description}</description><pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate></item>")
        })
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>Wire</title><link>https://wire.example/</link><description>d</description>{items}</channel></rss>")
}

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Desk</title><id>urn:desk</id><updated>2024-01-02T00:00:00Z</updated>
  <entry><title>Atom one</title><id>urn:desk:1</id><updated>2024-01-02T00:00:00Z</updated>
    <link href="https://desk.example/1"/><summary>First from the desk</summary></entry>
  <entry><title type="html">&lt;b&gt;Atom&lt;/b&gt; two</title><id>urn:desk:2</id><updated>2024-01-01T00:00:00Z</updated>
    <link rel="alternate" href="https://desk.example/2"/><content type="html">&lt;p&gt;Second &lt;i&gt;entry&lt;/i&gt;&lt;/p&gt;</content></entry>
</feed>"#;

/// Adds a feed polled every second; returns its id.
async fn add_feed(app: &TestApp, url: &str, newsletters: &[&str]) -> i64 {
    let r = admin(
        app,
        Method::POST,
        "/api/admin/feeds",
        Some(json!({"url": url, "newsletters": newsletters, "interval_secs": 1})),
    )
    .await;
    assert_eq!(r.status(), 201);
    let feed: Value = r.json().await.unwrap();
    feed["id"].as_i64().unwrap()
}

async fn feed(app: &TestApp, id: i64) -> Value {
    let r = admin(app, Method::GET, &format!("/api/admin/feeds/{id}"), None).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn items(app: &TestApp) -> Vec<Value> {
    let r = admin(app, Method::GET, "/api/admin/feed-items?limit=1000", None).await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    page["items"].as_array().unwrap().clone()
}

fn polled_at(feed: &Value) -> Option<DateTime<Utc>> {
    feed["last_polled_at"].as_str().map(|s| s.parse().unwrap())
}

/// Checks `done` every 50 ms until it yields a value, failing after 30 s.
async fn wait_for<T, F, Fut>(what: &str, mut done: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = done().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until every feed in `ids` finished `n` more polls than it had now.
async fn wait_polls(app: &TestApp, ids: &[i64], n: usize) {
    for &id in ids {
        for _ in 0..n {
            let before = polled_at(&feed(app, id).await);
            wait_for("another poll", || async {
                let now = polled_at(&feed(app, id).await);
                (now.is_some() && now > before).then_some(())
            })
            .await;
        }
    }
}

/// Waits until items with all these titles exist; returns all items.
async fn wait_titles(app: &TestApp, titles: &[&str]) -> Vec<Value> {
    wait_for("the items", || async {
        let all = items(app).await;
        titles
            .iter()
            .all(|t| all.iter().any(|i| i["title"] == *t))
            .then_some(all)
    })
    .await
}

fn count(items: &[Value], title: &str) -> usize {
    items.iter().filter(|i| i["title"] == title).count()
}

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
async fn feed_html_is_cleaned_and_unsafe_links_dropped() {
    let app = spawn_app_with(&[("feeds_allow_private", "true")]).await;
    let server = FeedServer::start().await;
    let doc = rss(&[
        (
            "&lt;script&gt;alert(1)&lt;/script&gt;Breaking &lt;b&gt;news&lt;/b&gt;",
            "https://wire.example/x1",
            Some("x1"),
            "&lt;img src=x onerror=alert(1)&gt;Look &lt;a href=\"javascript:alert(1)\"&gt;here&lt;/a&gt;",
        ),
        (
            "<![CDATA[<script>alert(2)</script>Second <img src=x onerror=alert(2)>]]>",
            "https://wire.example/x2",
            Some("x2"),
            "<![CDATA[<p onclick=\"x()\">Fine</p><svg onload=alert(3)><script>steal()</script>]]>",
        ),
        ("Evil link", "javascript:alert(document.cookie)", Some("x3"), "boo"),
        ("Evil mixed case", " JaVaScRiPt:alert(1)", Some("x4"), "boo"),
        ("Evil data", "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;", Some("x5"), "boo"),
    ]);
    server.set("/xss", Reply::Body(200, doc));
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id><updated>2024-01-01T00:00:00Z</updated>
<entry><title>Atom evil</title><id>urn:a:1</id><updated>2024-01-01T00:00:00Z</updated><link href="javascript:alert(1)"/></entry>
<entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Atom <script>alert(4)</script>fine</div></title><id>urn:a:2</id><updated>2024-01-01T00:00:00Z</updated><link href="https://a.example/2"/></entry>
</feed>"#;
    server.set("/atom", Reply::Body(200, atom.to_string()));
    let ids = [
        add_feed(&app, &server.url("/xss"), &[]).await,
        add_feed(&app, &server.url("/atom"), &[]).await,
    ];

    wait_titles(&app, &["Breaking news", "Second"]).await;
    wait_polls(&app, &ids, 1).await;
    let all = items(&app).await;
    let titles: Vec<&str> = all.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert_eq!(all.len(), 3, "{titles:?}");
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Atom") && t.ends_with("fine")),
        "{titles:?}"
    );
    let text = serde_json::to_string(&all).unwrap().to_lowercase();
    for bad in [
        "<script",
        "javascript:",
        "onerror",
        "onload",
        "onclick",
        "alert(",
        "data:",
    ] {
        assert!(!text.contains(bad), "{bad} in {text}");
    }
    let summary = |t: &str| {
        all.iter().find(|i| i["title"] == t).unwrap()["summary"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(summary("Breaking news"), "Look here");
    assert_eq!(summary("Second"), "Fine");
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

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let app = spawn_app().await;
    let server = FeedServer::start().await;
    server.set(
        "/rss",
        Reply::Body(
            200,
            rss(&[("Inside", "https://i.example/1", Some("i1"), "")]),
        ),
    );
    let port = server.addr.port();
    let urls = [
        server.url("/rss"),
        format!("http://localhost:{port}/rss"),
        format!("http://[::ffff:127.0.0.1]:{port}/rss"),
        // Another spelling of 127.0.0.1, another URL for the same document.
        format!("http://0x7f.1:{port}/rss?again"),
    ];
    for url in &urls {
        let id = add_feed(&app, url, &[]).await;
        let f = wait_for("the refusal", || async {
            let f = feed(&app, id).await;
            f["last_error"].is_string().then_some(f)
        })
        .await;
        let error = f["last_error"].as_str().unwrap();
        assert!(error.starts_with("refused"), "{url}: {error}");
    }
    assert_eq!(
        server.total_hits(),
        0,
        "nothing may connect to a refused address"
    );
    assert!(items(&app).await.is_empty());
}

#[tokio::test]
async fn feed_routes_check_input_and_auth() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    // Loopback URLs: refused at poll time, so the test touches no network.
    let url = "http://127.0.0.1:9/feed.xml";

    for (method, path) in [
        (Method::GET, "/api/admin/feeds"),
        (Method::POST, "/api/admin/feeds"),
        (Method::GET, "/api/admin/feeds/1"),
        (Method::DELETE, "/api/admin/feeds/1"),
    ] {
        for token in [None, Some("wrong")] {
            let mut r = app
                .client
                .request(method.clone(), app.url(path))
                .json(&json!({"url": url}));
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 401, "{method} {path}");
        }
    }

    let r = admin(
        &app,
        Method::POST,
        "/api/admin/feeds",
        Some(json!({"url": url})),
    )
    .await;
    assert_eq!(r.status(), 201);
    let f: Value = r.json().await.unwrap();
    assert_eq!(f["interval_secs"], 900);
    assert_eq!(f["newsletters"], json!([]));
    let id = f["id"].as_i64().unwrap();
    // The same URL, spelled differently.
    let r = admin(
        &app,
        Method::POST,
        "/api/admin/feeds",
        Some(json!({"url": "HTTP://127.0.0.1:9/feed.xml", "interval_secs": 60})),
    )
    .await;
    assert_eq!(r.status(), 409);

    for (body, code) in [
        (json!({"url": "ftp://127.0.0.1/feed"}), 422),
        (json!({"url": "javascript:alert(1)"}), 422),
        (json!({"url": "not a url"}), 422),
        (json!({"url": "/feed.xml"}), 422),
        (json!({"url": "http://127.0.0.1:9/a\nb"}), 422),
        (
            json!({"url": "http://127.0.0.1:9/b", "newsletters": ["nope"]}),
            422,
        ),
        (
            json!({"url": "http://127.0.0.1:9/b", "interval_secs": 0}),
            422,
        ),
        (
            json!({"url": "http://127.0.0.1:9/b", "interval_secs": -5}),
            422,
        ),
        (
            json!({"url": "http://127.0.0.1:9/b", "interval_secs": 99_999_999_999i64}),
            422,
        ),
        (
            json!({"url": "http://127.0.0.1:9/b", "interval_secs": "often"}),
            400,
        ),
        (json!({"url": 5}), 400),
        (json!({"newsletters": ["daily"]}), 400),
    ] {
        let r = admin(&app, Method::POST, "/api/admin/feeds", Some(body.clone())).await;
        assert_eq!(r.status(), code, "{body}");
    }
    let r = app
        .client
        .post(app.url("/api/admin/feeds"))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/plain")
        .body(format!("{{\"url\":\"{url}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    let r = admin(&app, Method::POST, "/api/admin/feeds", Some(json!({"url": "http://127.0.0.1:9/daily", "newsletters": ["daily"], "interval_secs": 60}))).await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.json::<Value>().await.unwrap()["newsletters"],
        json!(["daily"])
    );

    for path in [
        "/api/admin/feeds/999999",
        "/api/admin/feeds/abc",
        "/api/admin/feeds/-1",
    ] {
        assert_eq!(
            admin(&app, Method::GET, path, None).await.status(),
            404,
            "{path}"
        );
        assert_eq!(
            admin(&app, Method::DELETE, path, None).await.status(),
            404,
            "{path}"
        );
    }
    let r = admin(&app, Method::GET, "/api/admin/feeds", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["feeds"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let path = format!("/api/admin/feeds/{id}");
    assert_eq!(admin(&app, Method::DELETE, &path, None).await.status(), 204);
    assert_eq!(admin(&app, Method::DELETE, &path, None).await.status(), 404);
    assert_eq!(admin(&app, Method::GET, &path, None).await.status(), 404);
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
