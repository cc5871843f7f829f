//! A digest reaches each confirmed subscriber once, with one-click
//! unsubscribe; idempotency keys give one digest.

use serde_json::Value;

use crate::helpers::{
    add_confirmed, add_item, emails_to, send_digest, set_status, spawn_app, unique_email,
    wait_digest_status,
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
