//! `GET /embed.js`: a cacheable, public script with an ETag, 304 on a
//! matching `If-None-Match`, readable from any origin, and the hash the
//! console shows.

use sha2::{Digest, Sha384};

use super::*;

#[tokio::test]
async fn the_script_is_served_cacheable_and_public() {
    let app = news_app().await;
    let r = app.client.get(app.url("/embed.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-type").as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        header(&r, "cache-control").as_deref(),
        Some("public, max-age=3600")
    );
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    let etag = header(&r, "etag").expect("an ETag");
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let body = r.bytes().await.unwrap();
    let text = std::str::from_utf8(&body).unwrap();
    assert!(text.contains("form[data-herald]"));
    assert!(text.contains("Please, enter correct email address"));
    assert!(text.contains("Будь ласка, введіть правильну адресу електронної пошти"));
    // Nothing the host page's CSP would have to allow beyond the script itself.
    for forbidden in [
        "innerHTML",
        ".style",
        "eval(",
        "new Function",
        "http://",
        "https://",
    ] {
        assert!(!text.contains(forbidden), "{forbidden}");
    }

    for tag in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"x\", {etag}"),
        "*".to_string(),
    ] {
        let r = app
            .client
            .get(app.url("/embed.js"))
            .header("If-None-Match", &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304, "{tag}");
        assert_eq!(header(&r, "etag").as_deref(), Some(etag.as_str()));
        assert!(r.bytes().await.unwrap().is_empty());
    }
    let r = app
        .client
        .get(app.url("/embed.js"))
        .header("If-None-Match", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app.client.head(app.url("/embed.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "etag").as_deref(), Some(etag.as_str()));

    // The hash a page pins the script by is the hash of these bytes.
    let integrity = format!(
        "sha384-{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            Sha384::digest(&body)
        )
    );
    let console = console_snippet(&app).await;
    assert!(console.contains(&integrity), "{console}");
}
