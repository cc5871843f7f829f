//! What a feed may bring and where it may point: HTML cleaned, unsafe links
//! dropped, private addresses refused; the routes' input and auth checks.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{admin, spawn_app, spawn_app_with};

use super::*;

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
