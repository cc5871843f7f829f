//! An archived digest is the copy its readers got, minus their links:
//! the delivered email carries the reader's tokens, the archive none.

use serde_json::Value;

use super::{atom, get, link};
use crate::helpers::{
    add_confirmed, add_item, link_token, send_digest, spawn_app, unique_email, wait_digest_status,
    wait_for_emails,
};

#[tokio::test]
async fn an_archived_digest_is_the_sent_copy_without_any_token() {
    let app = spawn_app().await;
    app.add_newsletter("daily", "Daily briefing").await;
    let reader = unique_email();
    add_confirmed(&app, "daily", &reader).await;
    add_item(
        &app,
        "Rates &lt;rise&gt; again",
        "https://news.example/rates?a=1&b=2",
        "The bank moved.",
    )
    .await;
    let d: Value = send_digest(&app, "daily", None).await.json().await.unwrap();
    let id = d["id"].as_i64().unwrap();
    wait_digest_status(&app, id, "sent").await;

    // What the reader got carries their own links.
    let mail = &wait_for_emails(&reader, 1).await[0];
    let (text, html) = (
        mail["text"].as_str().unwrap(),
        mail["html"].as_str().unwrap(),
    );
    let unsubscribe = link_token(text, "unsubscribe");
    let manage = link_token(text, "manage");
    assert!(unsubscribe.len() > 10 && manage.len() > 10);
    assert!(html.contains(&unsubscribe) && html.contains(&manage) && html.contains("token="));

    let r = app
        .client
        .get(app.url(&format!("/newsletters/daily/archive/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let page = r.text().await.unwrap();
    for secret in [
        unsubscribe.as_str(),
        manage.as_str(),
        "token=",
        "token&#x3d;",
    ] {
        assert!(!page.contains(secret), "{secret} in the archived copy");
    }
    for sentinel in herald::email::SENTINELS {
        assert!(!page.contains(sentinel));
    }
    // The copy itself, escaped once more into a sandboxed frame's srcdoc:
    // the item title was escaped in the email (&lt;), and again here.
    assert!(page.contains("<iframe") && page.contains("sandbox=\"allow-popups"));
    assert!(page.contains("Rates &amp;lt;rise&amp;gt; again"), "{page}");
    assert!(!page.contains("<rise>") && !page.contains("&lt;rise&gt;"));
    assert!(page.contains("news.example/rates?a=1&amp;amp;b=2"));
    // Where the reader's links were, the page asking for one's own link is.
    let public = app.url("/subscriptions/manage");
    assert_eq!(
        page.matches(&format!("href=&quot;{public}&quot;")).count(),
        2,
        "{page}"
    );
    assert!(page.contains(mail["subject"].as_str().unwrap()));

    // The list and the feed point at it.
    let (status, list) = get(&app, "/newsletters/daily/archive").await;
    assert_eq!(status, 200);
    assert!(list.contains(&format!("href=\"/newsletters/daily/archive/{id}\"")));
    assert!(
        list.contains("Rates &lt;rise&gt; again"),
        "headlines listed"
    );
    let feed = atom(&app, "/newsletters/daily/archive.atom").await;
    let archive = app.url("/newsletters/daily/archive");
    assert_eq!(feed.id, archive);
    assert_eq!(link(&feed.links, "self"), format!("{archive}.atom"));
    assert_eq!(link(&feed.links, "alternate"), archive);
    assert_eq!(feed.title.as_ref().unwrap().content, "Daily briefing");
    assert_eq!(feed.entries.len(), 1);
    let e = &feed.entries[0];
    assert_eq!(e.id, format!("{archive}/{id}"));
    assert_eq!(link(&e.links, "alternate"), format!("{archive}/{id}"));
    assert_eq!(
        e.title.as_ref().unwrap().content,
        mail["subject"].as_str().unwrap()
    );
    assert_eq!(e.summary.as_ref().unwrap().content, "Rates <rise> again");
    assert!(e.published.is_some() && e.updated.is_some());
}
