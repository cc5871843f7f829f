//! Digests end to end: items in, one email per confirmed subscriber out,
//! each with a working one-click unsubscribe.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{
    add_confirmed, add_item, admin_post, digest, emails_to, free_port, link_token, readers,
    send_digest, set_status, slow_relay, spawn_app, spawn_app_with, unique_email,
    wait_digest_status, wait_for_emails,
};

#[tokio::test]
async fn a_digest_reaches_each_confirmed_subscriber_once_with_one_click_unsubscribe() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let confirmed: Vec<String> = (0..3).map(|_| unique_email()).collect();
    for e in &confirmed {
        add_confirmed(&app, "daily", e).await;
    }
    let pending = unique_email();
    app.signup(&pending, &["daily"]).await;
    let gone = unique_email();
    add_confirmed(&app, "daily", &gone).await;
    let r = set_status(&app, "daily", &gone, "unsubscribed").await;
    assert_eq!(r.status(), 200);

    add_item(
        &app,
        "Rates rise again",
        "https://news.example/rates",
        "The bank moved.",
    )
    .await;
    add_item(&app, "Storm heads north", "https://news.example/storm", "").await;

    let r = send_digest(&app, "daily", None).await;
    assert_eq!(r.status(), 202);
    let d: Value = r.json().await.unwrap();
    assert_eq!(
        (
            d["status"].as_str(),
            d["items"].as_i64(),
            d["recipients"].as_i64()
        ),
        (Some("queued"), Some(2), Some(3)),
        "{d}"
    );
    let id = d["id"].as_i64().unwrap();
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(
        (
            done["sent"].as_i64(),
            done["pending"].as_i64(),
            done["failed"].as_i64()
        ),
        (Some(3), Some(0), Some(0))
    );
    app.wait_queue_drained().await;

    let mut unsubscribe_urls = Vec::new();
    for e in &confirmed {
        let mails = emails_to(e).await;
        assert_eq!(mails.len(), 1, "{e}");
        let m = &mails[0];
        let text = m["text"].as_str().unwrap();
        let html = m["html"].as_str().expect("an HTML part");
        for needle in [
            "Rates rise again",
            "https://news.example/rates",
            "Storm heads north",
            "https://news.example/storm",
        ] {
            assert!(text.contains(needle) && html.contains(needle), "{needle}");
        }
        assert!(
            text.find("Storm heads north") < text.find("Rates rise again"),
            "newest first"
        );
        assert!(m["subject"].as_str().unwrap().starts_with("Daily briefing"));
        let h = &m["headers"];
        let lu = h["list-unsubscribe"].as_str().unwrap();
        assert!(
            lu.starts_with(&format!(
                "<{}/subscriptions/unsubscribe?token=",
                app.address
            )),
            "{lu}"
        );
        assert_eq!(h["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
        assert!(h["list-id"]
            .as_str()
            .unwrap()
            .contains("<daily.herald.test>"));
        assert!(h["message-id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("<digest-{id}-")));
        assert!(
            text.contains(&lu[1..lu.len() - 1]),
            "a visible unsubscribe link"
        );
        unsubscribe_urls.push(lu[1..lu.len() - 1].to_string());
    }
    assert_eq!(emails_to(&gone).await.len(), 0);
    assert_eq!(emails_to(&pending).await.len(), 1, "only its confirmation");

    // One-click unsubscribe with the header's own URL.
    let r = app
        .client
        .post(&unsubscribe_urls[0])
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.status_of("daily", &confirmed[0]).await.as_deref(),
        Some("unsubscribed")
    );

    // The next digest skips whoever unsubscribed; nothing new is a 409.
    assert_eq!(send_digest(&app, "daily", None).await.status(), 409);
    add_item(&app, "Late edition", "https://news.example/late", "").await;
    let d: Value = send_digest(&app, "daily", None).await.json().await.unwrap();
    assert_eq!(
        (d["items"].as_i64(), d["recipients"].as_i64()),
        (Some(1), Some(2))
    );
    wait_digest_status(&app, d["id"].as_i64().unwrap(), "sent").await;
    app.wait_queue_drained().await;
    assert_eq!(emails_to(&confirmed[0]).await.len(), 1);
    assert_eq!(emails_to(&confirmed[1]).await.len(), 2);
    let latest = emails_to(&confirmed[2]).await;
    assert!(latest
        .iter()
        .any(|m| m["text"].as_str().unwrap().contains("Late edition")));
}

#[tokio::test]
async fn idempotency_keys_give_one_digest_also_concurrently() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let readers: Vec<String> = (0..3).map(|_| unique_email()).collect();
    for e in &readers {
        add_confirmed(&app, "daily", e).await;
    }
    add_item(&app, "One", "https://news.example/1", "").await;

    let first: Value = send_digest(&app, "daily", Some("k-1"))
        .await
        .json()
        .await
        .unwrap();
    let again = send_digest(&app, "daily", Some("k-1")).await;
    assert_eq!(
        again.status(),
        202,
        "a repeated key answers with its digest, not 409"
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);

    add_item(&app, "Two", "https://news.example/2", "").await;
    let racing = (0..6).map(|_| send_digest(&app, "daily", Some("k-2")));
    let answers = futures_util::future::join_all(racing).await;
    let mut ids = Vec::new();
    for r in answers {
        assert_eq!(r.status(), 202);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_ne!(Some(ids[0]), first["id"].as_i64());
    wait_digest_status(&app, ids[0], "sent").await;
    app.wait_queue_drained().await;
    for e in &readers {
        assert_eq!(emails_to(e).await.len(), 2, "one per digest for {e}");
    }
}

#[tokio::test]
async fn pause_in_the_middle_and_resume_sends_each_exactly_once() {
    // A slow relay in front of the capture server keeps the send going long
    // enough to pause it half way.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(slow_relay(listener, Duration::from_millis(15)));
    let app = spawn_app_with(&[
        ("smtp_url", &format!("smtp://127.0.0.1:{port}")),
        ("smtp_pool", "1"),
    ])
    .await;
    app.add_newsletter("daily", "Daily").await;
    let readers: Vec<String> = readers(&app, 60).await;
    add_item(&app, "Big news", "https://news.example/big", "").await;

    let d: Value = send_digest(&app, "daily", None).await.json().await.unwrap();
    let id = d["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while digest(&app, id).await["sent"].as_i64().unwrap() < 1 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = app
        .client
        .post(app.url(&format!("/api/admin/digests/{id}/pause")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let paused: Value = r.json().await.unwrap();
    assert_eq!(paused["status"], "paused");
    // Deliveries in flight finish; then nothing moves.
    app.wait_no_sending().await;
    let stopped = digest(&app, id).await;
    let sent_at_pause = stopped["sent"].as_i64().unwrap();
    assert!(
        (1..60).contains(&sent_at_pause),
        "paused in the middle: {stopped}"
    );
    assert_eq!(stopped["status"], "paused");
    assert!(stopped["pending"].as_i64().unwrap() > 0);
    app.wait_no_sending().await;
    assert_eq!(
        digest(&app, id).await["sent"].as_i64().unwrap(),
        sent_at_pause
    );

    let r = app
        .client
        .post(app.url(&format!("/api/admin/digests/{id}/resume")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(done["sent"].as_i64(), Some(60));
    for e in &readers {
        assert_eq!(emails_to(e).await.len(), 1, "{e}");
    }
    // A finished digest can't be paused or resumed.
    let r = app
        .client
        .post(app.url(&format!("/api/admin/digests/{id}/pause")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn cancel_stops_what_was_not_sent() {
    let app = spawn_app_with(&[("smtp_url", "smtp://127.0.0.1:9")]).await; // nothing listens: all retry
    app.add_newsletter("daily", "Daily").await;
    for _ in 0..3 {
        add_confirmed(&app, "daily", &unique_email()).await;
    }
    add_item(&app, "One", "https://news.example/1", "").await;
    let d: Value = send_digest(&app, "daily", None).await.json().await.unwrap();
    let id = d["id"].as_i64().unwrap();
    let r = app
        .client
        .post(app.url(&format!("/api/admin/digests/{id}/cancel")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.wait_no_sending().await;
    let d = digest(&app, id).await;
    assert_eq!(d["status"], "cancelled");
    assert_eq!(d["pending"].as_i64(), Some(0), "{d}");
    assert_eq!(d["sent"].as_i64(), Some(0));
    assert!(d["finished_at"].is_string());
    assert_eq!(app.message_count("queued").await, 0);
    for action in ["pause", "resume", "cancel"] {
        let r = app
            .client
            .post(app.url(&format!("/api/admin/digests/{id}/{action}")))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409, "{action}");
    }
    let r = app
        .client
        .post(app.url("/api/admin/digests/999999/pause"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.admin_get("/api/admin/digests/999999").await.status(),
        404
    );
    assert_eq!(app.admin_get("/api/admin/digests/nope").await.status(), 404);
}

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

#[tokio::test]
async fn a_reader_who_unsubscribes_before_their_turn_is_skipped() {
    // SMTP is down when the digest is created, so nothing can go out
    // before the reader unsubscribes; then the server comes back.
    let port = free_port();
    let app = spawn_app_with(&[("smtp_url", &format!("smtp://127.0.0.1:{port}"))]).await;
    app.add_newsletter("daily", "Daily").await;
    let stays = unique_email();
    let leaves = unique_email();
    add_confirmed(&app, "daily", &stays).await;
    add_confirmed(&app, "daily", &leaves).await;
    add_item(&app, "News", "https://news.example/n", "").await;
    let d: Value = send_digest(&app, "daily", None).await.json().await.unwrap();
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["recipients"].as_i64(), Some(2));

    let r = set_status(&app, "daily", &leaves, "unsubscribed").await;
    assert_eq!(r.status(), 200);
    // The next claim after the change skips the leaver without the relay.
    // (A send that had already begun before the change may still deliver:
    // the check is made when a message is claimed, as late as it can be.)
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while digest(&app, id).await["skipped"].as_i64() != Some(1) {
        assert!(std::time::Instant::now() < deadline, "never skipped");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(slow_relay(listener, Duration::ZERO));
    let done = wait_digest_status(&app, id, "sent").await;
    assert_eq!(
        (done["sent"].as_i64(), done["skipped"].as_i64()),
        (Some(1), Some(1)),
        "{done}"
    );
    app.wait_queue_drained().await;
    assert_eq!(emails_to(&stays).await.len(), 1);
    assert_eq!(emails_to(&leaves).await.len(), 0);
}
