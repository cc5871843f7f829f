//! Digests from the console: preview, confirm, send, follow, pause, cancel.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;
use crate::helpers::{spawn_app, spawn_app_with, unique_email, wait_for_emails};

#[tokio::test]
async fn a_digest_is_previewed_confirmed_sent_and_followed_to_100_percent() {
    let app = spawn_app().await;
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let form = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        let mut v: Vec<_> = pairs.iter().map(|(k, v)| (*k, v.to_string())).collect();
        v.push(("csrf", admin.csrf.clone()));
        v
    };
    let send = |path: &str, pairs: Vec<(&'static str, String)>| {
        app.client
            .post(app.url(path))
            .header("Cookie", &admin.cookie)
            .header("Origin", &here)
            .form(&pairs)
            .send()
    };
    let r = send(
        "/admin/newsletters",
        form(&[("slug", "daily"), ("name", "Daily")]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let reader = unique_email();
    let r = send(
        "/admin/newsletters/daily/subscribers",
        form(&[
            ("email", &reader),
            ("status", "confirmed"),
            ("consent", "asked in person"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Added"));
    let r = send(
        "/admin/feed-items",
        form(&[
            ("title", "Console item"),
            ("url", "https://example.com/console"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Console item"));

    let html = get(&app, "/admin/newsletters/daily/digest", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<iframe class=\"preview\" sandbox"), "{html}");
    let r = get(
        &app,
        "/admin/newsletters/daily/digest/preview",
        &admin.cookie,
    )
    .await;
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("sandbox") && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-frame-options"], "SAMEORIGIN");
    assert!(r.text().await.unwrap().contains("Console item"));

    let html = get(
        &app,
        "/admin/newsletters/daily/digest/confirm",
        &admin.cookie,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        html.contains("<strong id=\"recipients\">1</strong>"),
        "{html}"
    );
    let marker = "name=\"key\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let key: String = html[start..].chars().take_while(|c| *c != '"').collect();
    let r = send("/admin/newsletters/daily/digest", form(&[("key", &key)]))
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/admin/digests/"), "{location}");
    // The same confirmation sent twice makes one digest.
    let again = send("/admin/newsletters/daily/digest", form(&[("key", &key)]))
        .await
        .unwrap();
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);

    let deadline = Instant::now() + Duration::from_secs(20);
    let progress = loop {
        let p: Value = get(&app, &format!("{location}/progress"), &admin.cookie)
            .await
            .json()
            .await
            .unwrap();
        if p["done"] == true {
            break p;
        }
        assert!(Instant::now() < deadline, "digest not done: {p}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(progress["percent"], 100);
    assert_eq!(progress["sent"], 1);
    let emails = wait_for_emails(&reader, 1).await;
    assert!(emails[0]["text"].as_str().unwrap().contains("Console item"));
    let page = get(&app, &location, &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-done=\"true\""));

    // Nothing new now; the sent digest is listed.
    let html = get(&app, "/admin/newsletters/daily/digest", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Nothing was published since the last digest"));
    assert!(html.contains(&format!("href=\"{location}\"")) && html.contains("100 %"));
    let r = send("/admin/newsletters/daily/digest", form(&[]))
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "nothing to send");

    // A finished digest can't be paused.
    let r = send(&format!("{location}/pause"), form(&[])).await.unwrap();
    assert_eq!(r.status(), 409);

    // The dashboard counts the reader and lists the digest.
    let html = get(&app, "/admin", &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<strong data-count=\"confirmed\">1</strong>"),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"{location}\"")));
    assert!(html.contains("Signups (1)"));
}

#[tokio::test]
async fn a_digest_is_paused_resumed_cancelled_and_shows_its_smtp_failures() {
    let smtp = crate::fake_smtp::FakeSmtp::start(std::sync::Arc::new(|rcpt: &str, _| {
        if rcpt.contains("bounce") {
            "550 5.1.1 <bounce> mailbox unavailable here".to_string()
        } else {
            // Always later: the digest keeps going until it is cancelled.
            "451 4.3.0 try again later".to_string()
        }
    }))
    .await;
    let app = spawn_app_with(&[("smtp_url", &smtp.url)]).await;
    app.add_newsletter("daily", "Daily").await;
    for who in ["bounce", "slow"] {
        let r = app
            .client
            .post(app.url("/api/admin/newsletters/daily/subscribers"))
            .bearer_auth(&app.admin_token)
            .json(&serde_json::json!({
                "email": format!("{who}-{}@example.com", crate::helpers::random_hex(6)),
                "status": "confirmed", "consent": "test"
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let r = app
        .client
        .post(app.url("/api/admin/feed-items"))
        .bearer_auth(&app.admin_token)
        .json(&serde_json::json!({ "title": "News", "url": "https://example.com/n" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .client
        .post(app.url("/api/admin/newsletters/daily/digests"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    while app.store.digest(id).await.unwrap().failed < 1 {
        assert!(Instant::now() < deadline, "the bounce never failed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let admin = signed_in(&app).await;
    let here = origin(&app);
    let page = get(&app, &format!("/admin/digests/{id}"), &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("&lt;bounce&gt; mailbox unavailable here"),
        "the SMTP reply, escaped: {page}"
    );
    assert!(page.contains("data-done=\"false\""));

    let act = |action: &'static str| {
        let cookie = admin.cookie.clone();
        let csrf = admin.csrf.clone();
        let here = here.clone();
        let app = &app;
        async move {
            post(
                app,
                &format!("/admin/digests/{id}/{action}"),
                &cookie,
                Some(&here),
                &[("csrf", &csrf)],
            )
            .await
        }
    };
    let r = act("pause").await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.store.digest(id).await.unwrap().status, "paused");
    let page = get(&app, &format!("/admin/digests/{id}"), &admin.cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/admin/digests/{id}/resume")));
    assert_eq!(act("pause").await.status(), 409, "already paused");

    assert_eq!(act("resume").await.status(), 303);
    let status = app.store.digest(id).await.unwrap().status;
    assert!(status == "queued" || status == "sending", "{status}");

    assert_eq!(act("cancel").await.status(), 303);
    let p: Value = get(
        &app,
        &format!("/admin/digests/{id}/progress"),
        &admin.cookie,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(p["status"], "cancelled");
    assert_eq!(p["done"], true);
    assert_eq!(p["percent"], 100);
    assert_eq!(act("resume").await.status(), 409);
}
