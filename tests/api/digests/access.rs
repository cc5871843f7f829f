//! Hostile item content in preview and email, the routes' token and
//! newsletter checks, and the command line's preview and send.

use serde_json::{json, Value};

use crate::helpers::{
    add_confirmed, add_item, admin_post, emails_to, link_token, send_digest, spawn_app,
    unique_email, wait_digest_status, wait_for_emails,
};

#[tokio::test]
async fn hostile_item_content_comes_out_harmless_in_preview_and_email() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let reader = unique_email();
    add_confirmed(&app, "daily", &reader).await;

    // A javascript: link is refused outright.
    let r = admin_post(
        &app,
        "/api/admin/feed-items",
        json!({"title": "x", "url": "javascript:alert(1)"}),
    )
    .await;
    assert_eq!(r.status(), 422);
    let item = add_item(
        &app,
        "<script>alert('t')</script>Breaking <b onmouseover=\"x()\">news</b>",
        "https://news.example/a?x=1&y=2",
        "<img src=x onerror=alert(1)>Summary <a href=\"javascript:evil()\">here</a>",
    )
    .await;
    assert_eq!(item["title"], "Breaking news");
    assert_eq!(item["summary"], "Summary here");

    let r = app
        .admin_get("/api/admin/newsletters/daily/digests/preview")
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let preview = r.text().await.unwrap();
    assert!(preview.contains("Breaking news"));
    assert_eq!(
        app.message_count("queued").await,
        0,
        "a preview sends nothing"
    );

    let d: Value = send_digest(&app, "daily", None).await.json().await.unwrap();
    wait_digest_status(&app, d["id"].as_i64().unwrap(), "sent").await;
    let mail = &wait_for_emails(&reader, 1).await[0];
    let id = mail["id"].as_str().unwrap();
    let source = app
        .client
        .get(format!(
            "{}/email/{id}/source",
            crate::helpers::maildev_url()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .replace("=\r\n", "")
        .replace("=3D", "=");
    for text in [preview.as_str(), source.as_str()] {
        let lower = text.to_lowercase();
        for bad in ["<script", "javascript:", "onerror", "onmouseover"] {
            assert!(!lower.contains(bad), "{bad} survived");
        }
    }
    let _ = link_token; // (unused helper in this module)
}

#[tokio::test]
async fn digests_need_a_token_and_a_known_newsletter() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    for path in [
        "/api/admin/newsletters/daily/digests/preview",
        "/api/admin/digests/1",
    ] {
        assert_eq!(
            app.client.get(app.url(path)).send().await.unwrap().status(),
            401
        );
    }
    assert_eq!(
        app.client
            .post(app.url("/api/admin/newsletters/daily/digests"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(send_digest(&app, "nope", None).await.status(), 404);
    assert_eq!(
        app.admin_get("/api/admin/newsletters/nope/digests/preview")
            .await
            .status(),
        404
    );
    assert_eq!(
        app.admin_get("/api/admin/newsletters/daily/digests/preview")
            .await
            .status(),
        409
    );
    let r = admin_post(
        &app,
        "/api/admin/newsletters/daily/digests",
        json!({"max_items": 0}),
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = admin_post(
        &app,
        "/api/admin/newsletters/daily/digests",
        json!({"max_items": "ten"}),
    )
    .await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn the_cli_previews_and_sends_a_digest() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let readers = [unique_email(), unique_email()];
    for e in &readers {
        add_confirmed(&app, "daily", e).await;
    }
    add_item(
        &app,
        "From the command line",
        "https://news.example/cli",
        "Typed by hand",
    )
    .await;
    let dir = std::env::temp_dir().join(format!("herald-cli-{}", crate::helpers::random_hex(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let herald = |args: &[&str]| {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_herald"))
            .args(args)
            .current_dir(&dir)
            .env("HERALD_DATABASE_URL", &app.db.url)
            .env("HERALD_SMTP_URL", crate::helpers::smtp_url())
            .env("HERALD_FROM", "Herald Test <news@herald.test>")
            .env("HERALD_BASE_URL", &app.address)
            .output()
    };

    let out = herald(&["digest", "preview", "daily"]).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Subject: Daily")
            && text.contains("From the command line")
            && text.contains("https://news.example/cli")
    );
    assert_eq!(
        app.message_count("queued").await,
        0,
        "a preview sends nothing"
    );

    let out = herald(&["digest", "send", "daily"]).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains("sent: sent 2, failed 0, skipped 0") || summary.contains(" sent: sent 2"),
        "{summary}"
    );
    app.wait_queue_drained().await;
    for e in &readers {
        assert_eq!(emails_to(e).await.len(), 1, "{e}");
    }
    let out = herald(&["digest", "send", "daily"]).await.unwrap();
    assert!(!out.status.success(), "nothing new the second time");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no items were published"));
    std::fs::remove_dir_all(dir).unwrap();
}
