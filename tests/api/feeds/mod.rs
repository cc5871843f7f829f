//! RSS and Atom feeds: polled into items once each, cleaned of HTML and
//! unsafe links, failures recorded on the feed, private addresses refused
//! unless allowed; the admin routes around them.
//! Shared helpers (a scripted feed server, feed and item look-ups) live here.

mod checks;
mod polling;

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

use crate::helpers::{admin, TestApp};

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
