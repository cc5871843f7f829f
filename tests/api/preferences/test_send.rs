//! An editor's test send: the next digest to one address, marked [Test],
//! through the queue; no cut-off moves, so the real digest holds the same
//! items.

use super::*;
use crate::helpers::{admin_post, unique_email, wait_for_emails};

#[tokio::test]
async fn a_test_reaches_one_address_and_the_real_digest_still_holds_the_items() {
    let app = crate::helpers::spawn_app().await;
    app.add_newsletter("daily", "Daily").await;
    let reader = unique_email();
    add_confirmed(&app, "daily", &reader).await;
    add_item(&app, "One", "https://news.example/1", "").await;
    add_item(&app, "Two", "https://news.example/2", "").await;

    let editor = unique_email();
    let r = admin_post(
        &app,
        "/api/admin/newsletters/daily/digests/test",
        json!({ "to": editor }),
    )
    .await;
    assert_eq!(r.status(), 202);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["to"], editor.as_str());
    let mails = wait_for_emails(&editor, 1).await;
    assert_eq!(mails.len(), 1);
    let subject = mails[0]["subject"].as_str().unwrap();
    assert!(subject.starts_with("[Test] "), "{subject}");
    let text = mails[0]["text"].as_str().unwrap();
    assert!(text.contains("One") && text.contains("Two"), "{text}");
    assert!(
        crate::helpers::emails_to(&reader).await.is_empty(),
        "no reader got it"
    );

    // The real digest: the same two items.
    let r = crate::helpers::send_digest(&app, "daily", None).await;
    assert_eq!(r.status(), 202);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["items"], 2);
    assert_eq!(d["recipients"], 1);

    for bad in [
        json!({ "to": "a@example.com, b@example.com" }),
        json!({ "to": "editor@example.com\r\nBcc: x@example.com" }),
        json!({ "to": "nobody" }),
    ] {
        let r = admin_post(
            &app,
            "/api/admin/newsletters/daily/digests/test",
            bad.clone(),
        )
        .await;
        assert_eq!(r.status(), 422, "{bad}");
    }
    // Nothing new since the real digest: 409.
    let r = admin_post(
        &app,
        "/api/admin/newsletters/daily/digests/test",
        json!({ "to": editor }),
    )
    .await;
    assert_eq!(r.status(), 409);
}
