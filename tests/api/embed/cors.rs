//! CORS on `/subscriptions`: only for the listed origins, never with
//! credentials, `Vary: Origin`; the 403 for other sites, which writes nothing.

use serde_json::{json, Value};

use super::*;
use crate::helpers::{spawn_app, unique_email};

async fn preflight(app: &TestApp, origin: Option<&str>, method: &str) -> reqwest::Response {
    let mut req = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/subscriptions"))
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "content-type");
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    req.send().await.unwrap()
}

fn no_cors_headers(r: &reqwest::Response, what: &str) {
    for (name, _) in r.headers() {
        assert!(
            !name.as_str().starts_with("access-control-"),
            "{what}: {name} sent"
        );
    }
}

fn varies_on_origin(r: &reqwest::Response, what: &str) {
    let vary = header(r, "vary").unwrap_or_default();
    assert!(
        vary.split(',')
            .any(|v| v.trim().eq_ignore_ascii_case("origin")),
        "{what}: Vary {vary:?}"
    );
}

#[tokio::test]
async fn a_listed_origin_passes_the_preflight() {
    let app = news_app().await;
    for origin in [NEWS, "http://127.0.0.1:8000"] {
        let r = preflight(&app, Some(origin), "POST").await;
        assert_eq!(r.status(), 204, "{origin}");
        assert_eq!(
            header(&r, "access-control-allow-origin").as_deref(),
            Some(origin)
        );
        assert_eq!(
            header(&r, "access-control-allow-methods").as_deref(),
            Some("POST")
        );
        assert_eq!(
            header(&r, "access-control-allow-headers").as_deref(),
            Some("Content-Type")
        );
        assert_eq!(header(&r, "access-control-allow-credentials"), None);
        varies_on_origin(&r, origin);
        assert!(r.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn other_origins_get_no_cors_headers() {
    let app = news_app().await;
    for origin in [
        "https://evil.example",
        "https://news.example.evil.example",
        "http://news.example",
        "https://news.example:8443",
        "null",
    ] {
        let r = preflight(&app, Some(origin), "POST").await;
        assert_eq!(r.status(), 403, "{origin}");
        no_cors_headers(&r, origin);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "origin_not_allowed");
    }
    // A listed origin asking for another method: refused, still no CORS.
    let r = preflight(&app, Some(NEWS), "DELETE").await;
    assert_eq!(r.status(), 400);
    no_cors_headers(&r, "DELETE preflight");
    // With no list at all, nobody gets CORS headers.
    let open = spawn_app().await;
    let r = preflight(&open, Some(NEWS), "POST").await;
    assert!(r.status().is_client_error(), "{}", r.status());
    no_cors_headers(&r, "no list");
}

#[tokio::test]
async fn a_plain_options_and_other_methods_keep_their_answers() {
    let app = news_app().await;
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/subscriptions"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "allow").as_deref(), Some("POST, OPTIONS"));
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let r = app
            .client
            .request(method.clone(), app.url("/subscriptions"))
            .header("Origin", NEWS)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method}");
        assert_eq!(header(&r, "allow").as_deref(), Some("POST, OPTIONS"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "method_not_allowed");
    }
}

#[tokio::test]
async fn a_signup_from_a_listed_origin_carries_the_origin() {
    let app = news_app().await;
    let email = unique_email();
    let body = json!({ "email": email, "newsletters": ["daily"] }).to_string();
    let r = post(&app, Some(NEWS), "application/json", body).await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some(NEWS)
    );
    assert_eq!(header(&r, "access-control-allow-credentials"), None);
    let exposed = header(&r, "access-control-expose-headers").unwrap();
    assert!(exposed.eq_ignore_ascii_case("retry-after"), "{exposed}");
    varies_on_origin(&r, "POST");
    assert_eq!(
        app.status_of("daily", &email).await.as_deref(),
        Some("pending")
    );
    // Refusals carry it too, so the page's script can read them.
    let body = json!({ "email": "not an address", "newsletters": ["daily"] }).to_string();
    let r = post(&app, Some(NEWS), "application/json", body).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some(NEWS)
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_email");
}

#[tokio::test]
async fn a_signup_from_another_site_is_refused_and_writes_nothing() {
    let app = news_app().await;
    let email = unique_email();
    for origin in [
        "https://evil.example",
        "https://news.example.evil.example",
        "http://news.example",
        "null",
    ] {
        let json_body = json!({ "email": email, "newsletters": ["daily"] }).to_string();
        let r = post(&app, Some(origin), "application/json", json_body).await;
        assert_eq!(r.status(), 403, "{origin}");
        no_cors_headers(&r, origin);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "origin_not_allowed", "{origin}");

        let form_body = form(&[("email", &email), ("newsletter", "daily")]);
        let r = post(
            &app,
            Some(origin),
            "application/x-www-form-urlencoded",
            form_body,
        )
        .await;
        assert_eq!(r.status(), 403, "{origin}");
        assert!(header(&r, "content-type").unwrap().starts_with("text/html"));
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("This form may not be used"));
    }
    assert_eq!(stored(&app).await, (0, 0));
    assert_eq!(app.status_of("daily", &email).await, None);
}

#[tokio::test]
async fn herald_own_pages_and_clients_without_origin_still_sign_up() {
    let app = news_app().await;
    let own = app.address.clone();
    let first = unique_email();
    let r = post(
        &app,
        Some(&own),
        "application/x-www-form-urlencoded",
        form(&[("email", &first), ("newsletter", "daily")]),
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        header(&r, "location").as_deref(),
        Some("/subscriptions/pending")
    );
    assert_eq!(header(&r, "access-control-allow-origin"), None);
    let second = unique_email();
    let body = json!({ "email": second, "newsletter": "daily" }).to_string();
    let r = post(&app, None, "application/json", body).await;
    assert_eq!(r.status(), 202);
    assert_eq!(header(&r, "access-control-allow-origin"), None);
    for email in [first, second] {
        assert_eq!(
            app.status_of("daily", &email).await.as_deref(),
            Some("pending")
        );
    }
}

#[tokio::test]
async fn the_preflight_is_documented() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = &doc["paths"]["/subscriptions"];
    for status in ["204", "400", "403"] {
        assert!(
            item["options"]["responses"][status].is_object(),
            "OPTIONS {status}: {item}"
        );
    }
    for status in ["202", "303", "403", "422", "429"] {
        assert!(
            item["post"]["responses"][status].is_object(),
            "POST {status}"
        );
    }
}

/// Herald's own pages have `Referrer-Policy: no-referrer`, so a browser
/// posts their forms with `Origin: null`; `Sec-Fetch-Site` tells them from
/// another site's no-referrer page.
#[tokio::test]
async fn an_opaque_origin_is_judged_by_sec_fetch_site() {
    let app = news_app().await;
    let send = |site: Option<&'static str>, email: String| {
        let mut req = app
            .client
            .post(app.url("/subscriptions"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", "null")
            .body(form(&[("email", &email), ("newsletter", "daily")]));
        if let Some(s) = site {
            req = req.header("Sec-Fetch-Site", s);
        }
        req.send()
    };
    let own = unique_email();
    assert_eq!(
        send(Some("same-origin"), own.clone())
            .await
            .unwrap()
            .status(),
        303
    );
    let old_browser = unique_email();
    assert_eq!(send(None, old_browser.clone()).await.unwrap().status(), 303);
    let (cross, same_site) = (unique_email(), unique_email());
    assert_eq!(
        send(Some("cross-site"), cross.clone())
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        send(Some("same-site"), same_site.clone())
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        app.status_of("daily", &own).await.as_deref(),
        Some("pending")
    );
    assert_eq!(
        app.status_of("daily", &old_browser).await.as_deref(),
        Some("pending")
    );
    assert_eq!(app.status_of("daily", &cross).await, None);
    assert_eq!(app.status_of("daily", &same_site).await, None);
}
